package topologies

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a topology file, at a line and a field.
type Error struct {
	File  string
	Line  int    // 1-based
	Field string // path of the field, e.g. "packages[3].cores"; "" for a YAML syntax error
	Msg   string
}

// Error renders "FILE:LINE: FIELD: MSG".
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// Errors is every problem found in one file, in line order. Load returns it
// (as an error) when the file is bad.
type Errors []*Error

// Error renders one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// maxErrors bounds how many problems one file reports.
const maxErrors = 50

// errorSink collects errors for one file.
type errorSink struct {
	file string
	errs Errors
}

func (s *errorSink) add(line int, field, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	msg := clip(fmt.Sprintf(format, args...), 300)
	s.errs = append(s.errs, &Error{File: s.file, Line: line, Field: clip(field, 120), Msg: msg})
}

// clip shortens what a file can make arbitrarily long (values and keys
// quoted in messages) and keeps each error on one line.
func clip(s string, n int) string {
	s = strings.NewReplacer("\n", "\\n", "\r", "\\r").Replace(s)
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// result sorts the errors by line (stably) and trims them.
func (s *errorSink) result() error {
	if len(s.errs) == 0 {
		return nil
	}
	sort.SliceStable(s.errs, func(i, j int) bool { return s.errs[i].Line < s.errs[j].Line })
	if len(s.errs) > maxErrors {
		s.errs = s.errs[:maxErrors]
	}
	return s.errs
}
