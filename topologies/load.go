package topologies

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var shipped embed.FS

// maxFileSize bounds what Load reads.
const maxFileSize = 4 << 20

// Load parses and validates a topology. source names the file in error
// messages. The error, if any, is an Errors listing every problem found as
// "FILE:LINE: FIELD: MESSAGE". Load never panics, whatever data holds.
func Load(source string, data []byte) (*Spec, error) {
	s := &errorSink{file: source}
	if len(data) > maxFileSize {
		s.add(1, "", "file is larger than %d bytes", maxFileSize)
		return nil, s.result()
	}
	doc := parseYAML(s, data)
	if doc == nil {
		return nil, s.result()
	}
	f := decodeFile(s, doc)
	if f == nil || len(s.errs) > 0 {
		return nil, s.result()
	}
	spec := resolve(s, f, source)
	if err := s.result(); err != nil {
		return nil, err
	}
	return spec, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root node of the file's single document.
func parseYAML(s *errorSink, data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 is not ours; whatever it does, Load must not panic.
		if p := recover(); p != nil {
			s.add(1, "", "YAML parser failed: %v", p)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			s.add(1, "", "empty file: want a topology (name:, coherence:, core_types:, packages:, ...)")
			return nil
		}
		s.yamlError(err)
		return nil
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		s.yamlError(err)
		return nil
	default:
		s.add(second.Line, "", "a second YAML document: a topology file holds exactly one")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		s.add(doc.Line, "", "want one YAML document")
		return nil
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		s.add(doc.Line, "", "empty document: want a topology (name:, coherence:, core_types:, packages:, ...)")
		return nil
	}
	return root
}

func (s *errorSink) yamlError(err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		s.add(line, "", "YAML syntax: %s", m[2])
		return
	}
	s.add(1, "", "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
}

// LoadFile reads and loads the topology file at path.
func LoadFile(path string) (*Spec, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// Shipped lists the names of the machines embedded in the binary, sorted.
func Shipped() []string {
	entries, _ := fs.ReadDir(shipped, ".") // the embedded root always exists
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// ShippedSource returns the YAML text of a shipped machine.
func ShippedSource(name string) ([]byte, bool) {
	data, err := shipped.ReadFile(name + ".yaml")
	return data, err == nil
}

// LoadShipped loads a shipped machine by name ("gruyere").
func LoadShipped(name string) (*Spec, error) {
	data, ok := ShippedSource(name)
	if !ok {
		return nil, fmt.Errorf("no shipped topology %q (have: %s)", name, strings.Join(Shipped(), ", "))
	}
	return Load(name+".yaml", data)
}

// Open loads a topology named on a command line: a file path (anything with
// a path separator or a .yaml/.yml suffix, or an existing file), or else the
// name of a shipped machine.
func Open(arg string) (*Spec, error) {
	looksLikePath := strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml")
	if !looksLikePath {
		if _, ok := ShippedSource(arg); ok {
			return LoadShipped(arg)
		}
		if _, err := os.Stat(arg); err != nil {
			return nil, fmt.Errorf("unknown topology %q: not a file and not a shipped machine (have: %s)", arg, strings.Join(Shipped(), ", "))
		}
	}
	return LoadFile(arg)
}
