package topologies

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var positioned = regexp.MustCompile(`^fuzz\.yaml:[1-9][0-9]*: `)

// FuzzLoad checks that Load never panics and that every error it returns
// names a position, "fuzz.yaml:LINE: ". A Spec it accepts must satisfy the
// invariants the simulator relies on.
//
//	go test ./topologies -run '^$' -fuzz FuzzLoad -fuzztime 60s -fuzzminimizetime 0
//
// (Minimizing the large shipped seeds is slow; -fuzzminimizetime 0 skips it.)
func FuzzLoad(f *testing.F) {
	for _, name := range Shipped() {
		data, _ := ShippedSource(name)
		f.Add(data)
	}
	for _, c := range badCases() {
		if len(c.text) < 64<<10 {
			f.Add([]byte(c.text))
		}
	}
	f.Add([]byte(base))
	f.Add([]byte(withLine3("routing:\n  - node: 0\n    next: {2: l01}\n")))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte("name: x\n\tcoherence: y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Load("fuzz.yaml", data)
		if err != nil {
			if spec != nil {
				t.Fatal("both a Spec and an error")
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T %q is not a non-empty Errors", err, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !positioned.MatchString(line) {
					t.Fatalf("error line without a position: %q", line)
				}
			}
			return
		}
		checkInvariants(t, spec)
	})
}
