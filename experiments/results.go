package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Version is mksim's version, recorded in every result's metadata.
const Version = "0.1.0"

// Header is the first line of every results CSV.
var Header = []string{"experiment", "machine", "series", "x", "value", "sd", "unit", "paper"}

// Row is one measured value in long format.
type Row struct {
	Experiment string
	Machine    string  // topology name
	Series     string  // e.g. "latency", "SHM4"
	X          string  // pair class, core count, or empty
	Value      float64 // the measurement
	SD         float64 // standard deviation; NaN when not applicable
	Unit       string
	Paper      float64 // the paper's number; NaN when it gives none or it is held out
}

// NoValue marks an empty sd or paper cell.
var NoValue = math.NaN()

func formatNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// EncodeCSV renders rows with the standard header. The output depends only
// on the rows, so equal results give byte-identical files.
func EncodeCSV(rows []Row) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(Header) // writes to a bytes.Buffer cannot fail
	for _, r := range rows {
		_ = w.Write([]string{r.Experiment, r.Machine, r.Series, r.X, formatNum(r.Value), formatNum(r.SD), r.Unit, formatNum(r.Paper)})
	}
	w.Flush()
	return buf.Bytes()
}

// Meta is what .meta.json records about how a result was made.
type Meta struct {
	Experiment string            `json:"experiment"`
	Command    string            `json:"command"`
	Seed       uint64            `json:"seed"`
	Version    string            `json:"mksim_version"`
	Topologies map[string]string `json:"topology_sha256"` // name -> content hash
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so a crash never leaves a half-written result.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // CreateTemp makes it 0600
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteResult writes DIR/NAME.csv, DIR/NAME.meta.json and, where there is
// something to draw, DIR/NAME.svg.
func WriteResult(dir, name string, rows []Row, meta Meta) error {
	if err := WriteFileAtomic(filepath.Join(dir, name+".csv"), EncodeCSV(rows)); err != nil {
		return err
	}
	svg, err := PlotSVG(name, rows)
	if err != nil {
		return fmt.Errorf("plotting %s: %w", name, err)
	}
	if svg != nil {
		if err := WriteFileAtomic(filepath.Join(dir, name+".svg"), svg); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, name+".meta.json"), append(js, '\n'))
}
