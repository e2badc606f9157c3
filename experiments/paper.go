package experiments

// Reference numbers from the SOSP'09 paper (../shared/reference/paper.md),
// used only to fill the paper column and to check calibration in tests.
// The 8×4-core AMD (gruyere) OS-level rows are held out: they have no entry.

// paperTable1 is LRPC one-way latency in cycles, per machine.
var paperTable1 = map[string]float64{
	"intel2x4": 845,
	"amd2x2":   757,
	"amd4x4":   1463,
}

type pairRef struct {
	Latency    float64 // cycles
	Throughput float64 // msgs/kcycle
}

// paperTable2 is URPC latency and pipelined throughput per machine and
// core-pair class.
var paperTable2 = map[string]map[string]pairRef{
	"intel2x4": {"shared": {180, 11.97}, "non-shared": {570, 3.78}},
	"amd2x2":   {"same-die": {450, 3.42}, "one-hop": {532, 3.19}},
	"amd4x4":   {"shared": {448, 3.57}, "one-hop": {545, 3.53}, "two-hop": {558, 3.51}},
}

// paperTable3 is URPC vs L4 IPC on the 2×2-core AMD.
var paperTable3 = map[string]float64{
	"urpc/latency":    450,
	"urpc/throughput": 3.42,
	"urpc/icache":     9,
	"urpc/dcache":     8,
	"l4/latency":      424,
	"l4/throughput":   2.36,
	"l4/icache":       25,
	"l4/dcache":       13,
}

// paperFig3 is Fig. 3 in cycles, by series, for 2..16 cores (index cores-2).
var paperFig3 = map[string][15]float64{
	"SHM1":   {30, 50, 70, 300, 100, 120, 150, 580, 660, 710, 760, 940, 920, 860, 940},
	"SHM2":   {630, 910, 1110, 1150, 1350, 1520, 1660, 1880, 2020, 2180, 2330, 2590, 2730, 2840, 2970},
	"SHM4":   {780, 1180, 1530, 2020, 2450, 2790, 3170, 4300, 4830, 5250, 5680, 6200, 6710, 7040, 7420},
	"SHM8":   {1690, 2290, 2850, 4510, 4830, 5310, 5990, 8030, 9090, 9810, 10520, 10840, 11450, 11450, 11690},
	"MSG1":   {1290, 1280, 1270, 1570, 1860, 2220, 2580, 3010, 3340, 3690, 4060, 4460, 4780, 5130, 5520},
	"MSG8":   {1330, 1300, 1310, 1660, 1970, 2330, 2720, 3170, 3550, 3900, 4260, 4750, 5100, 5450, 5820},
	"Server": {670, 430, 320, 330, 330, 330, 340, 350, 360, 360, 360, 360, 360, 360, 360},
}
