package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mksim/topologies"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// mksim runs the command in-process.
func mksim(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mksim -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run go test ./cmd/mksim -update if the change is intended)\n--- got\n%s", path, got)
	}
}

func TestTopoShowGolden(t *testing.T) {
	for _, name := range topologies.Shipped() {
		t.Run(name, func(t *testing.T) {
			code, out, errs := mksim("topo", "show", name)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			golden(t, "show_"+name+".golden", out)
		})
	}
}

func TestGruyereShow(t *testing.T) {
	_, out, _ := mksim("topo", "show", "gruyere")
	for _, want := range []string{
		"8 packages × 4 cores = 32 cores",
		"hop diameter 3\n",
		"from node 0: 1,2 at 1; 3,4 at 2; 5,6,7 at 3\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("topo show gruyere lacks %q", want)
		}
	}
}

func TestRun(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"run", "../../topologies/gruyere.yaml"}, {"run", "gruyere", "--seed", "7"}} {
		code, out, errs := mksim(args...)
		if code != 0 || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		if !strings.Contains(out, "8 packages × 4 cores") {
			t.Errorf("%v: output lacks the machine's size:\n%s", args, out)
		}
		// Every one of the 32 cores reports in, and the host-speed line closes.
		for _, want := range []string{"\n    31    7     7  opteron-8350", "events/s in the engine", "one-hop", "three-hop"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out)
			}
		}
	}
	_, out, _ := mksim("run", "amd2x2", "--seed", "7", "--json")
	var v struct {
		Machine string
		Seed    uint64
		Boot    struct{ Cores []struct{ ID int } }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Machine != "amd2x2" || v.Seed != 7 || len(v.Boot.Cores) != 4 {
		t.Errorf("run --json: %v %+v\n%s", err, v, out)
	}
}

func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: x\n"), 0o644)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{}, 0},
		{[]string{"--help"}, 0},
		{[]string{"topo", "show", "--help"}, 0},
		{[]string{"version"}, 0},
		{[]string{"list"}, 0},
		{[]string{"list", "--json"}, 0},
		{[]string{"topo", "validate", "gruyere", "../../topologies/amd4x4.yaml"}, 0},
		{[]string{"topo", "dot", "intel2x4"}, 0},
		{[]string{"nosuchcommand"}, 2},
		{[]string{"topo", "nosuchcommand"}, 2},
		{[]string{"--nosuchflag"}, 2},
		{[]string{"run", "--nosuchflag"}, 2},
		{[]string{"run", "--seed", "minus-one"}, 2},
		{[]string{"run", "a", "b"}, 2},
		{[]string{"topo", "show"}, 2},
		{[]string{"topo", "show", "a", "b"}, 2},
		{[]string{"topo", "validate"}, 2},
		{[]string{"version", "extra"}, 2},
		{[]string{"run", "nosuchmachine"}, 1},
		{[]string{"topo", "show", "nosuch/file.yaml"}, 1},
		{[]string{"topo", "validate", "gruyere", bad}, 1},
		{[]string{"run", bad}, 1},
	}
	oneLine := regexp.MustCompile(`^mksim: [^\n]+\n$`)
	for _, c := range cases {
		code, out, errs := mksim(c.args...)
		if code != c.code {
			t.Errorf("mksim %v: exit %d, want %d (stderr %q)", c.args, code, c.code, errs)
		}
		if c.code == 2 && !oneLine.MatchString(errs) {
			t.Errorf("mksim %v: usage error %q is not one 'mksim: ...' line", c.args, errs)
		}
		if c.code == 1 && !strings.HasPrefix(errs, "mksim: ") {
			t.Errorf("mksim %v: failure %q does not start with 'mksim: '", c.args, errs)
		}
		if c.code == 0 && (errs != "" || out == "") {
			t.Errorf("mksim %v: stdout %d bytes, stderr %q", c.args, len(out), errs)
		}
	}
}

// TestMisspeltKey: a misspelt key fails with exit 1 and a message naming its line.
func TestMisspeltKey(t *testing.T) {
	data, _ := topologies.ShippedSource("amd2x2")
	text := strings.Replace(string(data), "    mshrs: 8", "    mhsrs: 8", 1)
	line := strings.Count(text[:strings.Index(text, "mhsrs")], "\n") + 1
	path := filepath.Join(t.TempDir(), "misspelt.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"topo", "validate", path}, {"run", path}, {"topo", "show", path}} {
		code, _, errs := mksim(args...)
		want := "mksim: " + path + ":" + itoa(line) + `: core_types[0].mhsrs: unknown field "mhsrs" (did you mean "mshrs"?)`
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("mksim %v: exit %d, stderr\n%s\nwant a line\n%s", args, code, errs, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestValidateJSON(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nbogus: 1\n"), 0o644)
	code, out, _ := mksim("topo", "validate", "--json", "hetero", bad)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var res []validateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].OK || res[1].OK || len(res[1].Errors) == 0 || res[1].Errors[0].Line == 0 {
		t.Fatalf("%+v", res)
	}
}

func TestDot(t *testing.T) {
	_, out, _ := mksim("topo", "dot", "gruyere")
	if !strings.HasPrefix(out, `graph "gruyere" {`) || strings.Count(out, " -- ") != 11 || strings.Count(out, "style=dashed") != 2 {
		t.Errorf("dot output:\n%s", out)
	}
	_, out, _ = mksim("topo", "dot", "intel2x4")
	if strings.Count(out, " -- link0;") != 5 {
		t.Errorf("intel2x4 dot should join 5 nodes (4 dies, the hub) to the bus:\n%s", out)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"topo", "--help"}, {"topo", "validate", "--help"}, {"topo", "show", "--help"}, {"topo", "dot", "--help"}, {"list", "--help"}, {"version", "--help"}, {"help", "--help"}} {
		_, out, _ := mksim(args...)
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "--seed") || !strings.Contains(out, "--json") {
			t.Errorf("mksim %v: help lacks examples or global flags:\n%s", args, out)
		}
	}
}
