package experiments

import (
	"fmt"
	"math"
	"strconv"

	"mksim/arch"
)

func init() {
	Register(&Experiment{
		Name:        "fig3",
		Description: "Shared-memory updates vs message-passing RPC on the 4×4-core AMD, 2-16 cores (Fig. 3)",
		Run:         func(p Params) ([]Row, Meta, error) { return fig3(p, simBackend, fullSizes) },
	})
}

// fig3Series is the order of Fig. 3's series in the CSV.
var fig3Series = []string{"SHM1", "SHM2", "SHM4", "SHM8", "MSG1", "MSG8", "Server"}

// pooled drops each sequence's first 10 % and returns the rest, in order.
func pooled(seqs [][]arch.Cycles) []float64 {
	var out []float64
	for _, s := range seqs {
		out = append(out, steady(s)...)
	}
	return out
}

// fig3 is Fig. 3 on the 4×4-core AMD: the cost of updating shared state by
// shared memory against messages, for 2 to 16 cores, cores taken in ID order
// (0, 1, 2, ...: package 0 first, then package 1, ...). Every point runs on
// a freshly built machine.
//
//   - SHMn (n = 1, 2, 4, 8): k cores, one thread each, update the same n
//     cache lines (on core 0's node) Fig3Iters times without locks; an
//     update loads then stores one word of each line in turn (a plain
//     read-modify-write, not atomic). Value = mean cycles per update over
//     all threads' updates after each thread's first 10 % (every thread
//     does the same number, so this is the mean over cores of each core's
//     mean), sd = their standard deviation.
//   - MSGn (n = 1, 8): core 0 is the server, cores 1..k-1 the clients, so k
//     counts the server (2 cores = 1 client + 1 server). Each client makes
//     Fig3Iters synchronous RPCs over its own URPC channel (one cache-line
//     request, one reply); the server polls the channels round-robin and for
//     each request updates n lines in its own memory (load, store) and
//     replies. Value = mean round trip at the clients (first 10 % of each
//     dropped), sd = their standard deviation.
//   - Server: from the MSG1 runs, the server's elapsed cycles per update:
//     from one reply sent to the next (first 10 % dropped), polling and
//     waiting included. The paper measures it "at the server side,
//     excluding queuing" (the time a request waits, which the clients
//     see) and says it "starts higher at 2 cores and falls once there are
//     enough outstanding requests to keep the server 100 % busy": a
//     figure that falls as the server gets busier counts the server's
//     idle time. A saturated server's time per update is its service
//     time (MSGResult.Service, which an earlier version reported here:
//     flat at 330-420 cycles from 2 cores up).
func fig3(p Params, b backend, sz sizes) ([]Row, Meta, error) {
	r := newRun("fig3", p, b)
	const name = "amd4x4"
	spec, err := r.open(name)
	if err != nil {
		return nil, Meta{}, err
	}
	bySeries := map[string][]Row{}
	add := func(series string, k int, mean, sd float64) {
		ref := math.NaN()
		if v, ok := paperFig3[series]; ok && k >= 2 && k-2 < len(v) {
			ref = v[k-2]
		}
		bySeries[series] = append(bySeries[series], Row{Experiment: "fig3", Machine: name, Series: series,
			X: strconv.Itoa(k), Value: mean, SD: sd, Unit: "cycles", Paper: ref})
	}
	for _, k := range sz.Fig3Cores {
		if k < 2 || k > spec.NumCores() {
			return nil, Meta{}, fmt.Errorf("fig3: %d cores on a %d-core machine", k, spec.NumCores())
		}
		ids := make([]arch.CoreID, k)
		for i := range ids {
			ids[i] = arch.CoreID(i)
		}
		for _, n := range []int{1, 2, 4, 8} {
			err := b.on(spec, p.Seed, func(m arch.Machine, al *arch.FrameAllocator) error {
				per, err := SHMUpdate(m, al, ids, n, sz.Fig3Iters)
				if err != nil {
					return err
				}
				mean, sd := meanSD(pooled(per))
				add("SHM"+strconv.Itoa(n), k, mean, sd)
				return nil
			})
			if err != nil {
				return nil, Meta{}, err
			}
		}
		for _, n := range []int{1, 8} {
			err := b.on(spec, p.Seed, func(m arch.Machine, al *arch.FrameAllocator) error {
				res, err := MSGUpdate(m, al, ids[0], ids[1:], n, sz.Fig3Iters)
				if err != nil {
					return err
				}
				mean, sd := meanSD(pooled(res.Clients))
				add("MSG"+strconv.Itoa(n), k, mean, sd)
				if n == 1 {
					mean, sd := meanSD(steady(res.Server))
					add("Server", k, mean, sd)
				}
				return nil
			})
			if err != nil {
				return nil, Meta{}, err
			}
		}
		last := func(s string) float64 { rs := bySeries[s]; return rs[len(rs)-1].Value }
		r.progress("%2d cores: SHM1 %.0f SHM2 %.0f SHM4 %.0f SHM8 %.0f MSG1 %.0f MSG8 %.0f Server %.0f cycles",
			k, last("SHM1"), last("SHM2"), last("SHM4"), last("SHM8"), last("MSG1"), last("MSG8"), last("Server"))
	}
	var rows []Row
	for _, s := range fig3Series {
		rows = append(rows, bySeries[s]...)
	}
	return rows, r.meta(), nil
}
