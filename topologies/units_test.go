package topologies

import "testing"

func TestParseUnits(t *testing.T) {
	durations := []struct {
		in   string
		want quantity
		err  bool
	}{
		{"40ns", quantity{ps: 40000}, false},
		{"1.5 ns", quantity{ps: 1500}, false},
		{"500ps", quantity{ps: 500}, false},
		{"2us", quantity{ps: 2_000_000}, false},
		{"2µs", quantity{ps: 2_000_000}, false},
		{"1s", quantity{ps: 1_000_000_000_000}, false},
		{"15 cycles", quantity{cycles: 15, isCycles: true}, false},
		{"1 cycle", quantity{cycles: 1, isCycles: true}, false},
		{"0.5ps", quantity{}, true},
		{"2s", quantity{}, true},
		{"15", quantity{}, true},
		{"-3ns", quantity{}, true},
		{"1e3ns", quantity{}, true},
		{"1.5 cycles", quantity{}, true},
		{"99999999999999999999999999999999999ns", quantity{}, true},
	}
	for _, c := range durations {
		got, err := parseDuration(c.in)
		if (err != nil) != c.err || (err == nil && got != c.want) {
			t.Errorf("parseDuration(%q) = %+v, %v; want %+v, error %v", c.in, got, err, c.want, c.err)
		}
	}
	freqs := map[string]Hz{"2.0GHz": 2e9, "2.66GHz": 2_660_000_000, "333MHz": 333e6, "800 MHz": 800e6, "1THz": 1e12}
	for in, want := range freqs {
		if got, err := parseFrequency(in); err != nil || got != want {
			t.Errorf("parseFrequency(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0GHz", "2GHZ", "2", "1.5Hz", "1.1THz"} {
		if _, err := parseFrequency(in); err == nil {
			t.Errorf("parseFrequency(%q): no error", in)
		}
	}
	sizes := map[string]Bytes{"64": 64, "64B": 64, "512KiB": 512 << 10, "4GiB": 4 << 30, "1.5MiB": 3 << 19, "0x100000000": 1 << 32, "0X10": 16}
	for in, want := range sizes {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"64KB", "4GB", "1.5B", "0x", "0xfffffffffffffffff", "8EiB", "-1"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
	bws := map[string]BytesPerSecond{"10.6GB/s": 10_600_000_000, "1GiB/s": 1 << 30, "5 MB/s": 5e6}
	for in, want := range bws {
		if got, err := parseBandwidth(in); err != nil || got != want {
			t.Errorf("parseBandwidth(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestUnitConversions(t *testing.T) {
	if p := Hz(2_660_000_000).Period(); p != 376 {
		t.Errorf("2.66GHz period %v, want 376ps (as sim.NewClockHz)", p)
	}
	if ps, err := cyclesToPs(75, 2e9); err != nil || ps != 37500 {
		t.Errorf("75 cycles at 2GHz = %v, %v", ps, err)
	}
	if c := psToCycles(40000, 2_500_000_000); c != 100 {
		t.Errorf("40ns at 2.5GHz = %v cycles", c)
	}
	strs := map[string]string{
		Hz(2_660_000_000).String():             "2.66GHz",
		Hz(333_000_000).String():               "333MHz",
		Picoseconds(37500).String():            "37.5ns",
		Picoseconds(376).String():              "376ps",
		Bytes(512 << 10).String():              "512KiB",
		Bytes(100).String():                    "100B",
		BytesPerSecond(4_000_000_000).String(): "4GB/s",
		Cycles(1).String():                     "1 cycle",
	}
	for got, want := range strs {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
