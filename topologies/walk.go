package topologies

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file walks yaml.v3 nodes by hand rather than decoding into structs,
// so that every error can name its line and the full path of its field, and
// so that unknown, duplicated and mistyped fields are all caught.

// pos is where a value was written.
type pos struct {
	line int
	path string
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unknown node"
}

// object is a YAML mapping whose keys have been checked against a schema.
type object struct {
	s      *errorSink
	n      *yaml.Node
	path   string
	fields map[string][2]*yaml.Node // key -> {key node, value node}
}

// object checks that n is a mapping with no duplicated and no unknown keys.
// It returns nil (after reporting) if n is not a mapping.
func (s *errorSink) object(n *yaml.Node, path string, keys ...string) *object {
	if n.Kind == yaml.AliasNode {
		s.add(n.Line, path, "YAML aliases are not supported")
		return nil
	}
	if n.Kind != yaml.MappingNode {
		s.add(n.Line, path, "want a mapping (key: value lines), got %s", kindName(n))
		return nil
	}
	o := &object{s: s, n: n, path: path, fields: map[string][2]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			s.add(k.Line, path, "keys must be plain names, got %s", kindName(k))
			continue
		}
		if prev, dup := o.fields[k.Value]; dup {
			s.add(k.Line, join(path, k.Value), "duplicated field (first given at line %d)", prev[0].Line)
			continue
		}
		known := false
		for _, want := range keys {
			known = known || want == k.Value
		}
		if !known {
			if near := nearest(k.Value, keys); near != "" {
				s.add(k.Line, join(path, k.Value), "unknown field %q (did you mean %q?)", k.Value, near)
			} else {
				s.add(k.Line, join(path, k.Value), "unknown field %q (want one of: %s)", k.Value, strings.Join(keys, ", "))
			}
			continue
		}
		o.fields[k.Value] = [2]*yaml.Node{k, v}
	}
	return o
}

// get returns the value of key, reporting it if required and missing.
func (o *object) get(key string, required bool) *yaml.Node {
	f, ok := o.fields[key]
	if !ok {
		if required {
			o.s.add(o.n.Line, join(o.path, key), "missing required field")
		}
		return nil
	}
	return f[1]
}

// pos is the position of key (or of the mapping if key is absent).
func (o *object) pos(key string) pos {
	if f, ok := o.fields[key]; ok {
		return pos{f[0].Line, join(o.path, key)}
	}
	return pos{o.n.Line, join(o.path, key)}
}

// scalar returns a scalar's text, reporting other node kinds.
func (s *errorSink) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind == yaml.AliasNode {
		s.add(n.Line, path, "YAML aliases are not supported")
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		s.add(n.Line, path, "want %s, got %s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (o *object) str(key string, required bool) (string, bool) {
	n := o.get(key, required)
	if n == nil {
		return "", false
	}
	return o.s.scalar(n, join(o.path, key), "a string")
}

// intNode reads an integer scalar.
func (s *errorSink) intNode(n *yaml.Node, path string) (int64, bool) {
	v, ok := s.scalar(n, path, "an integer")
	if !ok {
		return 0, false
	}
	if n.ShortTag() != "!!int" {
		s.add(n.Line, path, "want an integer, got %s", kindName(n))
		return 0, false
	}
	i, err := strconv.ParseInt(v, 0, 64)
	if err != nil {
		s.add(n.Line, path, "want an integer, got %q", v)
		return 0, false
	}
	return i, true
}

// integer reads an integer in [lo, hi].
func (o *object) integer(key string, required bool, lo, hi int64) (int64, bool) {
	n := o.get(key, required)
	if n == nil {
		return 0, false
	}
	i, ok := o.s.intNode(n, join(o.path, key))
	if !ok {
		return 0, false
	}
	if i < lo || i > hi {
		o.s.add(n.Line, join(o.path, key), "%d is out of range [%d, %d]", i, lo, hi)
		return 0, false
	}
	return i, true
}

func (o *object) float(key string, required bool) (float64, bool) {
	n := o.get(key, required)
	if n == nil {
		return 0, false
	}
	path := join(o.path, key)
	v, ok := o.s.scalar(n, path, "a number")
	if !ok {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!float" {
		o.s.add(n.Line, path, "want a number, got %s", kindName(n))
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		o.s.add(n.Line, path, "want a finite number, got %q", v)
		return 0, false
	}
	return f, true
}

func (o *object) boolean(key string, required bool) (bool, bool) {
	n := o.get(key, required)
	if n == nil {
		return false, false
	}
	path := join(o.path, key)
	v, ok := o.s.scalar(n, path, "true or false")
	if !ok {
		return false, false
	}
	if n.ShortTag() != "!!bool" {
		o.s.add(n.Line, path, "want true or false, got %q", v)
		return false, false
	}
	return v == "true" || v == "True" || v == "TRUE", true
}

// unit reads a scalar with a parser from units.go.
func unit[T any](o *object, key string, required bool, want string, parse func(string) (T, error)) (T, bool) {
	var zero T
	n := o.get(key, required)
	if n == nil {
		return zero, false
	}
	path := join(o.path, key)
	v, ok := o.s.scalar(n, path, want)
	if !ok {
		return zero, false
	}
	t, err := parse(v)
	if err != nil {
		o.s.add(n.Line, path, "%v", err)
		return zero, false
	}
	return t, true
}

func (o *object) duration(key string, required bool) (quantity, bool) {
	return unit(o, key, required, "a duration (e.g. 40ns or 15 cycles)", parseDuration)
}

func (o *object) frequency(key string, required bool) (Hz, bool) {
	return unit(o, key, required, "a frequency (e.g. 2.0GHz)", parseFrequency)
}

func (o *object) size(key string, required bool) (Bytes, bool) {
	return unit(o, key, required, "a size (e.g. 512KiB)", parseSize)
}

func (o *object) bandwidth(key string, required bool) (BytesPerSecond, bool) {
	return unit(o, key, required, "a bandwidth (e.g. 10.6GB/s)", parseBandwidth)
}

// list returns the items of a sequence, reporting other node kinds.
func (s *errorSink) list(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if n.Kind == yaml.AliasNode {
		s.add(n.Line, path, "YAML aliases are not supported")
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		s.add(n.Line, path, "want a list, got %s", kindName(n))
		return nil, false
	}
	return n.Content, true
}

func (o *object) list(key string, required bool) ([]*yaml.Node, bool) {
	n := o.get(key, required)
	if n == nil {
		return nil, false
	}
	return o.s.list(n, join(o.path, key))
}

// enum reads a string that must be one of values.
func (o *object) enum(key string, required bool, values ...string) (string, bool) {
	v, ok := o.str(key, required)
	if !ok {
		return "", false
	}
	for _, w := range values {
		if v == w {
			return v, true
		}
	}
	o.s.add(o.pos(key).line, join(o.path, key), "unknown value %q (want one of: %s)", v, strings.Join(values, ", "))
	return "", false
}

// nearest returns the key within edit distance 2 of s, if exactly one is
// closest.
func nearest(s string, keys []string) string {
	if len(s) > 64 {
		return ""
	}
	best, bestD, ties := "", 3, 0
	for _, k := range keys {
		switch d := editDistance(s, k); {
		case d < bestD:
			best, bestD, ties = k, d, 0
		case d == bestD:
			ties++
		}
	}
	if ties > 0 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
