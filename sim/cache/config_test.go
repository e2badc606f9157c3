package cache

import (
	"strings"
	"testing"

	"mksim/sim"
	"mksim/sim/mem"
)

func TestConfigErrors(t *testing.T) {
	base := func() (Config, *mem.HomeMap) { return tconf{scheme: Broadcast, nodes: 2, cores: 2}.config() }
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"bad L1", func(c *Config) { c.Packages[0].Clusters[0].L1.Size = 100 }, "not a whole number"},
		{"sets not pow2", func(c *Config) { c.Packages[0].Clusters[0].L2.Size = 3 * 64 * 2 }, "power of two"},
		{"dup core", func(c *Config) { c.Packages[1].Clusters[0].Cores[0] = 0 }, "listed twice"},
		{"dup node", func(c *Config) { c.Packages[1].Node = 0 }, "two packages"},
		{"no home", func(c *Config) { c.Homes = c.Homes[:1] }, "no memory controller"},
		{"snoop two homes", func(c *Config) { c.Scheme = SnoopFilter }, "one hub"},
		{"no clusters", func(c *Config) { c.Packages[0].Clusters = nil }, "clusters"},
	} {
		cfg, hm := base()
		tc.edit(&cfg)
		_, err := New(sim.New(1), cfg, mem.NewMemory(), hm)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := ParseScheme("directory"); err != nil {
		t.Error(err)
	}
	if _, err := ParseScheme("mesh"); err == nil {
		t.Error("ParseScheme accepted mesh")
	}
}

// TestCoreGaps: core indices need not be contiguous (cores outside
// coherence have no L1 here).
func TestCoreGaps(t *testing.T) {
	c := tconf{scheme: Directory, nodes: 2, cores: 2, l3: true}
	_, s, _ := c.buildWith(t, 3, func(cfg *Config) {
		cfg.Packages[0].Clusters[0].Cores = []int{0}
		cfg.Packages[0].Clusters[1].Cores = []int{5}
		cfg.Packages[1].Clusters[0].Cores = []int{2}
		cfg.Packages[1].Clusters[1].Cores = []int{7}
	})
	if got := s.Cores(); len(got) != 4 || got[3] != 7 {
		t.Fatalf("Cores() = %v", got)
	}
	if _, err := NewRandomTester(s, TesterConfig{Seed: 3, Ops: 20000}).Run(); err != nil {
		t.Fatal(err)
	}
}
