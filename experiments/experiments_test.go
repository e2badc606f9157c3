package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// smallSizes keep the plumbing tests quick.
var smallSizes = sizes{LRPC: 40, Ping: 40, Tput: 40, InFlight: 16, Lines: 20, Fig3Iters: 20, Fig3Cores: []int{2, 3, 16}}

type body func(Params, backend, sizes) ([]Row, Meta, error)

var bodies = []struct {
	name string
	run  body
	rows func(sizes) int
}{
	{"table1", table1, func(sizes) int { return 4 }},
	{"table2", table2, func(sizes) int { return 2 * (2 + 2 + 3 + 4) }},
	{"table3", table3, func(sizes) int { return 6 }},
	{"fig3", fig3, func(s sizes) int { return len(fig3Series) * len(s.Fig3Cores) }},
}

func TestRegistered(t *testing.T) {
	names := Names()
	for _, b := range bodies {
		if !slices.Contains(names, b.name) {
			t.Errorf("%s not registered (have %v)", b.name, names)
		}
		e, err := Lookup(b.name)
		if err != nil || e.Run == nil || e.Description == "" {
			t.Errorf("%s: %v %+v", b.name, err, e)
		}
	}
}

var units = map[string]bool{"cycles": true, "msgs/kcycle": true, "lines": true}

// checkCSV parses an experiment's CSV and checks its shape: the header,
// the row count, eight columns, numbers where numbers belong, an empty
// paper cell exactly for the held-out gruyere.
func checkCSV(t *testing.T, name string, data []byte, wantRows int) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !slices.Equal(recs[0], Header) {
		t.Fatalf("%s: header %v", name, recs[0])
	}
	if string(data[:len("experiment,machine,series,x,value,sd,unit,paper\n")]) != "experiment,machine,series,x,value,sd,unit,paper\n" {
		t.Fatalf("%s: header line %q", name, data[:60])
	}
	if got := len(recs) - 1; got != wantRows {
		t.Fatalf("%s: %d rows, want %d", name, got, wantRows)
	}
	for _, r := range recs[1:] {
		if len(r) != 8 {
			t.Fatalf("%s: row %v has %d columns", name, r, len(r))
		}
		if r[0] != name || r[1] == "" || r[2] == "" || !units[r[6]] {
			t.Fatalf("%s: bad row %v", name, r)
		}
		if _, err := strconv.ParseFloat(r[4], 64); err != nil {
			t.Fatalf("%s: value of %v: %v", name, r, err)
		}
		if r[5] != "" {
			if _, err := strconv.ParseFloat(r[5], 64); err != nil {
				t.Fatalf("%s: sd of %v: %v", name, r, err)
			}
		}
		if (r[7] == "") != (r[1] == "gruyere") {
			t.Fatalf("%s: paper cell of %v (empty exactly for the held-out gruyere)", name, r)
		}
	}
	return recs
}

func TestCSVFormatOnFake(t *testing.T) {
	for _, b := range bodies {
		rows, meta, err := b.run(Params{Seed: 7}, fakeBackend, smallSizes)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		checkCSV(t, b.name, EncodeCSV(rows), b.rows(smallSizes))
		if meta.Experiment != b.name || meta.Seed != 7 || meta.Version != Version || len(meta.Topologies) == 0 {
			t.Fatalf("%s: meta %+v", b.name, meta)
		}
		for n, h := range meta.Topologies {
			if len(h) != 64 {
				t.Fatalf("%s: topology %s hash %q", b.name, n, h)
			}
		}
	}
}

func TestDeterministicOnFake(t *testing.T) {
	for _, b := range bodies {
		r1, _, err1 := b.run(Params{Seed: 11}, fakeBackend, smallSizes)
		r2, _, err2 := b.run(Params{Seed: 11}, fakeBackend, smallSizes)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(EncodeCSV(r1), EncodeCSV(r2)) {
			t.Fatalf("%s: two runs with one seed differ", b.name)
		}
	}
}

func TestWriteResultRoundTrip(t *testing.T) {
	rows, meta, err := table3(Params{Seed: 1}, fakeBackend, smallSizes)
	if err != nil {
		t.Fatal(err)
	}
	meta.Command = "mksim reproduce table3"
	dir := t.TempDir()
	if err := WriteResult(dir, "table3", rows, meta); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "table3.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs := checkCSV(t, "table3", data, 6)
	for _, r := range recs[1:] {
		if r[2] == "urpc-dcache-lines" && r[4] != "3.00" {
			t.Errorf("URPC D-cache lines %s, want 3.00", r[4])
		}
	}
	js, err := os.ReadFile(filepath.Join(dir, "table3.meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Meta
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != meta.Command || m.Topologies["amd2x2"] == "" {
		t.Fatalf("meta %+v", m)
	}
}
