package topologies

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Typed units of a resolved Spec. Every quantity in a Spec carries one of
// these types, so a latency in picoseconds cannot be added to one in cycles
// without a conversion the compiler makes visible.
type (
	// Picoseconds is a duration in integer picoseconds (the unit of sim.Time).
	Picoseconds int64
	// Cycles counts cycles of a clock said by the field's documentation
	// (always the core type's clock inside a CoreType).
	Cycles int64
	// Hz is a frequency in integer hertz.
	Hz int64
	// Bytes is a size or a physical byte address.
	Bytes int64
	// BytesPerSecond is a bandwidth.
	BytesPerSecond int64
	// NodeID numbers coherence nodes 0..N-1 (packages and hubs together).
	NodeID int
)

// Limits on what a file may say. They keep every conversion inside int64 and
// every loop small, whatever the input.
const (
	maxHz          = Hz(1_000_000_000_000) // 1 THz: a period of at least 1 ps
	maxPicoseconds = Picoseconds(1_000_000_000_000)
	maxCycles      = Cycles(1_000_000_000)
	maxBytes       = Bytes(1)<<62 - 1 // so that base + size cannot overflow
	maxNumberLen   = 32
)

// Period is the clock period in whole picoseconds, rounded to nearest, the
// same rounding sim.NewClockHz uses (2.66 GHz gives 376 ps). Zero for 0 Hz.
func (f Hz) Period() Picoseconds {
	if f <= 0 {
		return 0
	}
	return Picoseconds((int64(1e12) + int64(f)/2) / int64(f))
}

// String renders 2000000000 as "2GHz" and 2660000000 as "2.66GHz".
func (f Hz) String() string {
	v := float64(f)
	switch {
	case f >= 1_000_000_000:
		return trimFloat(v/1e9) + "GHz"
	case f >= 1_000_000:
		return trimFloat(v/1e6) + "MHz"
	case f >= 1_000:
		return trimFloat(v/1e3) + "kHz"
	}
	return strconv.FormatInt(int64(f), 10) + "Hz"
}

// String renders 15000 as "15ns" and 37500 as "37.5ns".
func (p Picoseconds) String() string {
	switch {
	case p == 0:
		return "0ns"
	case p%1000 == 0 || p >= 1000:
		return trimFloat(float64(p)/1000) + "ns"
	}
	return strconv.FormatInt(int64(p), 10) + "ps"
}

// String renders a cycle count as "15 cycles".
func (c Cycles) String() string {
	if c == 1 {
		return "1 cycle"
	}
	return strconv.FormatInt(int64(c), 10) + " cycles"
}

// String renders a size with the largest binary unit that divides it.
func (b Bytes) String() string {
	units := []string{"TiB", "GiB", "MiB", "KiB"}
	for i, u := range units {
		shift := uint(10 * (4 - i))
		if b != 0 && b%(Bytes(1)<<shift) == 0 {
			return strconv.FormatInt(int64(b>>shift), 10) + u
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// String renders a bandwidth in decimal units, as data sheets do.
func (b BytesPerSecond) String() string {
	v := float64(b)
	switch {
	case b >= 1_000_000_000:
		return trimFloat(v/1e9) + "GB/s"
	case b >= 1_000_000:
		return trimFloat(v/1e6) + "MB/s"
	case b >= 1_000:
		return trimFloat(v/1e3) + "kB/s"
	}
	return strconv.FormatInt(int64(b), 10) + "B/s"
}

func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// quantity is a duration as written: a time or a number of cycles of a clock
// that the context supplies later.
type quantity struct {
	ps       Picoseconds
	cycles   Cycles
	isCycles bool
}

func (q quantity) String() string {
	if q.isCycles {
		return q.cycles.String()
	}
	return q.ps.String()
}

var (
	durationRE  = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) *(ps|ns|us|µs|ms|s|cycles?)$`)
	frequencyRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) *(Hz|kHz|MHz|GHz|THz)$`)
	sizeRE      = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) *(B|KiB|MiB|GiB|TiB)?$`)
	hexRE       = regexp.MustCompile(`^0[xX][0-9a-fA-F_]+$`)
	bandwidthRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) *(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)/s$`)
	decimalSize = regexp.MustCompile(`^[0-9.]+ *(kB|KB|MB|GB|TB)$`)
)

// exact multiplies the decimal string num by unit and returns the result if
// it is a whole number (of what) no larger than limit (written limitText).
func exact(num string, unit int64, limit int64, what, limitText string) (int64, error) {
	if len(num) > maxNumberLen {
		return 0, fmt.Errorf("number %q has too many digits", num)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("bad number %q", num)
	}
	r.Mul(r, new(big.Rat).SetInt64(unit))
	if !r.IsInt() {
		return 0, fmt.Errorf("%s is not a whole number of %s", num, what)
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > limit {
		return 0, fmt.Errorf("too large: at most %s", limitText)
	}
	return n.Int64(), nil
}

// parseDuration reads "40ns", "1.5 ns", "500ps", "15 cycles".
func parseDuration(s string) (quantity, error) {
	m := durationRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return quantity{}, fmt.Errorf("want a duration with a unit (e.g. 40ns, 500ps or 15 cycles), got %q", s)
	}
	if strings.HasPrefix(m[2], "cycle") {
		n, err := exact(m[1], 1, int64(maxCycles), "cycles", "1000000000 cycles")
		if err != nil {
			return quantity{}, err
		}
		return quantity{cycles: Cycles(n), isCycles: true}, nil
	}
	unit := map[string]int64{"ps": 1, "ns": 1e3, "us": 1e6, "µs": 1e6, "ms": 1e9, "s": 1e12}[m[2]]
	n, err := exact(m[1], unit, int64(maxPicoseconds), "picoseconds", "1s")
	if err != nil {
		return quantity{}, err
	}
	return quantity{ps: Picoseconds(n)}, nil
}

// parseFrequency reads "2.0GHz", "2660MHz".
func parseFrequency(s string) (Hz, error) {
	m := frequencyRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("want a frequency with a unit (e.g. 2.0GHz or 800MHz), got %q", s)
	}
	unit := map[string]int64{"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9, "THz": 1e12}[m[2]]
	n, err := exact(m[1], unit, int64(maxHz), "hertz", "1THz")
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("clock must be positive, got %q", s)
	}
	return Hz(n), nil
}

// parseSize reads "512KiB", "4GiB", "64" (bytes) and "0x100000000".
func parseSize(s string) (Bytes, error) {
	s = strings.TrimSpace(s)
	if hexRE.MatchString(s) {
		v, err := strconv.ParseUint(strings.ReplaceAll(s[2:], "_", ""), 16, 64)
		if err != nil || v > uint64(maxBytes) {
			return 0, fmt.Errorf("%s is too large: under 4EiB", s)
		}
		return Bytes(v), nil
	}
	if decimalSize.MatchString(s) {
		return 0, fmt.Errorf("sizes use binary units (KiB, MiB, GiB, TiB), got %q", s)
	}
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("want a size (e.g. 512KiB, 4GiB, 64 or 0x1000), got %q", s)
	}
	unit := map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	n, err := exact(m[1], unit, int64(maxBytes), "bytes", "under 4EiB")
	if err != nil {
		return 0, err
	}
	return Bytes(n), nil
}

// parseBandwidth reads "10.6GB/s" (decimal) or "8GiB/s" (binary).
func parseBandwidth(s string) (BytesPerSecond, error) {
	m := bandwidthRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("want a bandwidth (e.g. 10.6GB/s), got %q", s)
	}
	unit := map[string]int64{"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	n, err := exact(m[1], unit, math.MaxInt64/2, "bytes per second", "4EB/s")
	if err != nil {
		return 0, err
	}
	return BytesPerSecond(n), nil
}

// cyclesToPs converts cycles of clock f to picoseconds using the integer
// period, so the result matches sim.Clock arithmetic exactly.
func cyclesToPs(c Cycles, f Hz) (Picoseconds, error) {
	p := f.Period()
	if p <= 0 {
		return 0, fmt.Errorf("no clock to count cycles in")
	}
	if int64(c) > int64(maxPicoseconds)/int64(p) {
		return 0, fmt.Errorf("%s at %s is too long: at most 1s", c, f)
	}
	return Picoseconds(int64(c) * int64(p)), nil
}

// psToCycles converts a duration to the nearest whole number of cycles of f.
func psToCycles(t Picoseconds, f Hz) Cycles {
	n := new(big.Int).Mul(big.NewInt(int64(t)), big.NewInt(int64(f)))
	n.Add(n, big.NewInt(500_000_000_000))
	n.Quo(n, big.NewInt(1_000_000_000_000))
	return Cycles(n.Int64()) // t <= 1e12 ps and f <= 1e12 Hz: at most 1e12 cycles
}

func isPow2(n int64) bool { return n > 0 && n&(n-1) == 0 }
