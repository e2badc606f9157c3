package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReproduceUnknownExperiment(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := mksim("reproduce", "table1", "nosuch", "--out", dir)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errs)
	}
	for _, want := range []string{`"nosuch"`, "table1", "table2", "table3", "fig3"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	if out != "" {
		t.Errorf("stdout %q", out)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a usage error wrote %d files", len(ents))
	}
}

func TestReproduceHelpAndFlags(t *testing.T) {
	if code, out, _ := mksim("reproduce", "--help"); code != 0 || !strings.Contains(out, "--out") {
		t.Fatalf("exit %d, help %q", code, out)
	}
	if code, _, _ := mksim("reproduce", "--bogus"); code != exitUsage {
		t.Fatalf("unknown flag: exit %d", code)
	}
}

// Runs table1 on the simulated machines twice with one seed: the files
// exist, the CSV has the standard header, and the two are byte-identical.
func TestReproduceTable1(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator")
	}
	var csvs [2][]byte
	for i := range csvs {
		dir := t.TempDir()
		code, out, errs := mksim("reproduce", "table1", "--out", dir, "--seed", "5")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if !strings.Contains(out, "table1: 4 rows") || !strings.Contains(errs, "table1: intel2x4") {
			t.Fatalf("stdout %q stderr %q", out, errs)
		}
		data, err := os.ReadFile(filepath.Join(dir, "table1.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "experiment,machine,series,x,value,sd,unit,paper\n") {
			t.Fatalf("csv %q", data)
		}
		csvs[i] = data
		js, err := os.ReadFile(filepath.Join(dir, "table1.meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Command    string            `json:"command"`
			Seed       uint64            `json:"seed"`
			Version    string            `json:"mksim_version"`
			Topologies map[string]string `json:"topology_sha256"`
		}
		if err := json.Unmarshal(js, &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Seed != 5 || !strings.Contains(meta.Command, "reproduce table1") || len(meta.Topologies) != 4 || meta.Version == "" {
			t.Fatalf("meta %s", js)
		}
	}
	if !bytes.Equal(csvs[0], csvs[1]) {
		t.Fatalf("two runs with seed 5 differ:\n%s\n%s", csvs[0], csvs[1])
	}
}
