package cache

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestTablesGolden prints every controller's table (every scheme and
// variant) and compares it with testdata/tables.golden.
func TestTablesGolden(t *testing.T) {
	got := Tables()
	const path = "testdata/tables.golden"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("tables differ from %s; run go test ./sim/cache -run Golden -update and review the diff", path)
	}
}

// TestUnlistedPanics checks that an unlisted (state, event) pair panics
// naming the line, the state and the event.
func TestUnlistedPanics(t *testing.T) {
	c := tconf{scheme: Directory, nodes: 2, cores: 1}
	_, s, _ := c.build(t, 1)
	p := s.pkgs[0]
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		msg := r.(error).Error()
		for _, want := range []string{"node0.pkg", "state I", "line 0x40", "FwdM"} {
			if !contains(msg, want) {
				t.Errorf("panic %q does not mention %q", msg, want)
			}
		}
	}()
	ctx := pctx{line: 0x40}
	p.fire(&ctx, pI, peFwdM)
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
