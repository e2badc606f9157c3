package experiments

import (
	"errors"
	"fmt"

	"mksim/arch"
	"mksim/arch/archtest"
	"mksim/kernel"
	"mksim/urpc"
)

// The measurements below are written over arch.Machine and an allocator, so
// the same code runs on the simulator (sim/machine) and on the functional
// fake (arch/archtest) in fast tests. Each one starts its programs and calls
// Run exactly once (archtest machines run once), so every measurement gets a
// fresh machine. All times are the measuring core's own cycles (c.Now()).

// msgType is the URPC message type the benchmarks send (any non-reserved
// type would do).
const msgType urpc.MsgType = 1

// URPCPingPong measures n URPC round trips between cores a and b over a
// polled channel (no notification, no prefetch), as ump_bench/latency.c:
// a sends one cache-line message and waits for b's reply. It returns the
// round trips timed at a, in a's cycles.
func URPCPingPong(m arch.Machine, alloc *arch.FrameAllocator, a, b arch.CoreID, n int) ([]arch.Cycles, error) {
	ch, err := urpc.Connect(m, alloc, a, b, urpc.Options{})
	if err != nil {
		return nil, err
	}
	ea, eb := ch.Endpoints()
	rts := make([]arch.Cycles, 0, n)
	m.Start(a, func(c arch.Core) {
		msg := urpc.Msg{Type: msgType}
		for i := 0; i < n; i++ {
			msg.Words[0] = uint64(i)
			t0 := c.Now()
			ea.Send(c, msg)
			ea.Recv(c)
			rts = append(rts, c.Now()-t0)
		}
	})
	m.Start(b, func(c arch.Core) {
		for i := 0; i < n; i++ {
			eb.Send(c, eb.Recv(c))
		}
	})
	if err := m.Run(); err != nil {
		return nil, err
	}
	return rts, nil
}

// URPCThroughput measures pipelined URPC throughput between a and b as
// ump_bench/throughput.c: a pre-fills the channel with inflight messages,
// b echoes every message it receives, and a, for each reply, sends a new
// message (keeping inflight messages in the pipe) and records the time
// since the previous reply. It returns the n intervals between successive
// replies at a, in a's cycles: each is the cost of one message at the
// sustained rate.
func URPCThroughput(m arch.Machine, alloc *arch.FrameAllocator, a, b arch.CoreID, inflight, n int) ([]arch.Cycles, error) {
	if inflight < 1 || inflight >= urpc.RingSlots {
		return nil, fmt.Errorf("experiments: %d messages in flight (want 1..%d)", inflight, urpc.RingSlots-1)
	}
	ch, err := urpc.Connect(m, alloc, a, b, urpc.Options{})
	if err != nil {
		return nil, err
	}
	ea, eb := ch.Endpoints()
	gaps := make([]arch.Cycles, 0, n)
	m.Start(a, func(c arch.Core) {
		msg := urpc.Msg{Type: msgType}
		for i := 0; i < inflight; i++ {
			msg.Words[0] = uint64(i)
			ea.Send(c, msg)
		}
		var prev arch.Cycles
		for i := 0; i <= n; i++ {
			ea.Recv(c)
			t := c.Now()
			if i > 0 {
				gaps = append(gaps, t-prev)
			}
			prev = t
			msg.Words[0] = uint64(inflight + i)
			ea.Send(c, msg)
		}
		for i := 0; i < inflight; i++ {
			ea.Recv(c)
		}
	})
	m.Start(b, func(c arch.Core) {
		for i := 0; i < inflight+n+1; i++ {
			eb.Send(c, eb.Recv(c))
		}
	})
	if err := m.Run(); err != nil {
		return nil, err
	}
	return gaps, nil
}

// URPCLinesPerMessage counts the distinct data-cache lines one steady-state
// URPC message touches: the sender's Send plus the receiver's Recv that
// returns it (the receiver's polling included), union of the two cores'
// lines. It runs a ping-pong of n round trips between a and b, each core's
// accesses going through an archtest.Recorder wrapped around its core, and
// records the a→b message of round trip n/2.
func URPCLinesPerMessage(m arch.Machine, alloc *arch.FrameAllocator, a, b arch.CoreID, n int) (int, error) {
	ch, err := urpc.Connect(m, alloc, a, b, urpc.Options{})
	if err != nil {
		return 0, err
	}
	ea, eb := ch.Endpoints()
	mark := n / 2
	var sent, recvd map[arch.Addr]archtest.Access
	m.Start(a, func(c arch.Core) {
		r := archtest.NewRecorder(c)
		msg := urpc.Msg{Type: msgType}
		for i := 0; i < n; i++ {
			r.Reset()
			ea.Send(r, msg)
			if i == mark {
				sent = r.Touched()
			}
			ea.Recv(r)
		}
	})
	m.Start(b, func(c arch.Core) {
		r := archtest.NewRecorder(c)
		for i := 0; i < n; i++ {
			r.Reset()
			msg := eb.Recv(r)
			if i == mark {
				recvd = r.Touched()
			}
			eb.Send(r, msg)
		}
	})
	if err := m.Run(); err != nil {
		return 0, err
	}
	if sent == nil || recvd == nil {
		return 0, errors.New("experiments: URPC line count: message not recorded")
	}
	for l := range recvd {
		sent[l] |= recvd[l]
	}
	return len(sent), nil
}

// bootKernel boots a CPU driver on c (which may be a Recorder around the
// core) with its memory on the core's node.
func bootKernel(m arch.Machine, alloc *arch.FrameAllocator, c arch.Core) (*kernel.CPUDriver, error) {
	return kernel.Boot(c, alloc, m.Info(c.ID()).Node, kernel.Options{})
}

// LRPCPingPong runs the CPU driver's LRPC benchmark on core id: two
// dispatchers in separate address spaces (two domains) ping-pong n times
// over LRPC. It returns every one-way latency, user program to user program
// (A→B and B→A interleaved in the order they happened), in the core's
// cycles.
func LRPCPingPong(m arch.Machine, alloc *arch.FrameAllocator, id arch.CoreID, n int) (aToB, bToA []arch.Cycles, err error) {
	var kerr error
	m.Start(id, func(c arch.Core) {
		k, err := bootKernel(m, alloc, c)
		if err != nil {
			kerr = err
			return
		}
		aToB, bToA, kerr = k.LRPCBench(n, false)
	})
	if err := m.Run(); err != nil {
		return nil, nil, err
	}
	if kerr != nil {
		return nil, nil, kerr
	}
	return aToB, bToA, nil
}

// lrpcPair boots a kernel on c and creates two dispatchers in separate
// address spaces joined by an LMP channel; a and b are their bodies, given
// their channel ends.
func lrpcPair(m arch.Machine, alloc *arch.FrameAllocator, c arch.Core, a, b func(ch *kernel.LMPChan)) (*kernel.CPUDriver, error) {
	k, err := bootKernel(m, alloc, c)
	if err != nil {
		return nil, err
	}
	var ca, cb *kernel.LMPChan
	da, err := k.NewDispatcher(kernel.DispatcherConfig{Name: "a"}, func(*kernel.Dispatcher) { a(ca) })
	if err != nil {
		return nil, err
	}
	db, err := k.NewDispatcher(kernel.DispatcherConfig{Name: "b"}, func(*kernel.Dispatcher) { b(cb) })
	if err != nil {
		return nil, err
	}
	if ca, cb, err = k.NewLMPChannel(da, db); err != nil {
		return nil, err
	}
	return k, nil
}

// LRPCRoundTrips measures LRPC throughput on core id: dispatchers A and B,
// in separate address spaces, call each other back to back over LRPC, n+1
// round trips. LRPC is synchronous (one message at a time, nothing to
// pipeline), so the sustained rate is that of this exchange: two messages
// per round trip. (A one-directional stream is slower: the receiver must
// block in its next receive and the kernel reschedule the sender, which is
// not the LRPC fast path.) It returns the n intervals between the starts of
// successive round trips at A, in cycles.
func LRPCRoundTrips(m arch.Machine, alloc *arch.FrameAllocator, id arch.CoreID, n int) ([]arch.Cycles, error) {
	gaps := make([]arch.Cycles, 0, n)
	var kerr error
	m.Start(id, func(c arch.Core) {
		k, err := lrpcPair(m, alloc, c, func(ch *kernel.LMPChan) {
			u := ch.Dispatcher().Core()
			var prev arch.Cycles
			for i := 0; i <= n; i++ {
				t := u.Now()
				if i > 0 {
					gaps = append(gaps, t-prev)
				}
				prev = t
				if err := ch.LRPC([4]uint64{uint64(i)}); err != nil {
					panic(err)
				}
				ch.Recv()
			}
		}, func(ch *kernel.LMPChan) {
			for i := 0; i <= n; i++ {
				ch.Recv()
				if err := ch.LRPC([4]uint64{uint64(i)}); err != nil {
					panic(err)
				}
			}
		})
		if err != nil {
			kerr = err
			return
		}
		kerr = k.Run()
	})
	if err := m.Run(); err != nil {
		return nil, err
	}
	return gaps, kerr
}

// LRPCLinesPerMessage counts the distinct data-cache lines one steady-state
// one-way LRPC touches, from A's user-level call to B's user-level receive
// returning (kernel and both dispatchers; one core, so one Recorder around
// the core the CPU driver runs on). It ping-pongs n times and records the
// A→B message of round trip n/2.
func LRPCLinesPerMessage(m arch.Machine, alloc *arch.FrameAllocator, id arch.CoreID, n int) (int, error) {
	mark := n / 2
	var lines int
	var kerr error
	m.Start(id, func(c arch.Core) {
		rec := archtest.NewRecorder(c)
		k, err := lrpcPair(m, alloc, rec, func(ch *kernel.LMPChan) {
			for i := 0; i < n; i++ {
				if i == mark {
					rec.Reset()
				}
				if err := ch.LRPC([4]uint64{uint64(i)}); err != nil {
					panic(err)
				}
				ch.Recv()
			}
		}, func(ch *kernel.LMPChan) {
			for i := 0; i < n; i++ {
				ch.Recv()
				if i == mark {
					lines = len(rec.Lines())
				}
				if err := ch.LRPC([4]uint64{uint64(i)}); err != nil {
					panic(err)
				}
			}
		})
		if err != nil {
			kerr = err
			return
		}
		kerr = k.Run()
	})
	if err := m.Run(); err != nil {
		return 0, err
	}
	if kerr != nil {
		return 0, kerr
	}
	if lines == 0 {
		return 0, errors.New("experiments: LRPC line count: message not recorded")
	}
	return lines, nil
}

// SHMUpdate is Fig. 3's shared-memory side: one thread per core in cores
// updates the same nlines cache lines, iters times, without locks. An
// update is, for each line in turn, a load of its first word and a store of
// that value plus one (a plain read-modify-write, not atomic; updates from
// different cores may be lost, as in the paper's lock-free set-up). It
// returns, per core, the cycles of each update (the interval between the
// starts of successive updates), in that core's cycles.
func SHMUpdate(m arch.Machine, alloc *arch.FrameAllocator, cores []arch.CoreID, nlines, iters int) ([][]arch.Cycles, error) {
	if len(cores) == 0 || nlines < 1 {
		return nil, errors.New("experiments: SHM needs at least one core and one line")
	}
	base, err := alloc.Alloc(m.Info(cores[0]).Node, uint64(nlines*arch.CacheLineSize), 4096)
	if err != nil {
		return nil, err
	}
	out := make([][]arch.Cycles, len(cores))
	for i, id := range cores {
		out[i] = make([]arch.Cycles, 0, iters)
		m.Start(id, func(c arch.Core) {
			prev := c.Now()
			for it := 0; it < iters; it++ {
				for l := 0; l < nlines; l++ {
					a := base + arch.Addr(l*arch.CacheLineSize)
					c.Store(a, c.Load(a)+1)
				}
				t := c.Now()
				out[i] = append(out[i], t-prev)
				prev = t
			}
		})
	}
	if err := m.Run(); err != nil {
		return nil, err
	}
	return out, nil
}

// MSGResult is what MSGUpdate measures.
type MSGResult struct {
	// Clients holds, per client, each RPC's round trip at the client.
	Clients [][]arch.Cycles
	// Server holds, per request in service order, the server's cycles
	// since it finished the request before (or since it started, for the
	// first): the time per update at the server, its polling of empty
	// channels and its waiting for requests included. Their mean is the
	// server's elapsed time per update; a server kept 100 % busy spends
	// only the service time on each.
	Server []arch.Cycles
	// Service holds, in the same order, the server's cycles from the
	// poll that found the request to having sent the reply: fetching the
	// request, the update and the send, without any waiting.
	Service []arch.Cycles
}

// MSGUpdate is Fig. 3's message-passing side: every client core issues
// iters synchronous RPCs (one cache-line URPC request, one reply) to a
// single server core, which for each request updates nlines lines in its
// own memory (load then store, as SHMUpdate) and replies. The server polls
// its clients' channels round-robin. A client's time per operation is its
// round trip; the server's time per update runs from its previous reply
// having been sent to this one having been sent (so it includes polling
// and waiting when the clients do not keep it busy), and its service time
// from the start of the successful poll (fetching the request, no waiting)
// to the reply having been sent.
func MSGUpdate(m arch.Machine, alloc *arch.FrameAllocator, server arch.CoreID, clients []arch.CoreID, nlines, iters int) (MSGResult, error) {
	var res MSGResult
	if len(clients) == 0 || nlines < 1 {
		return res, errors.New("experiments: MSG needs at least one client and one line")
	}
	base, err := alloc.Alloc(m.Info(server).Node, uint64(nlines*arch.CacheLineSize), 4096)
	if err != nil {
		return res, err
	}
	eps := make([]*urpc.Endpoint, len(clients))
	res.Clients = make([][]arch.Cycles, len(clients))
	for i, id := range clients {
		// The client binds, so the channel frame is on its node.
		ch, err := urpc.Connect(m, alloc, id, server, urpc.Options{})
		if err != nil {
			return res, err
		}
		ce, se := ch.Endpoints()
		eps[i] = se
		res.Clients[i] = make([]arch.Cycles, 0, iters)
		m.Start(id, func(c arch.Core) {
			msg := urpc.Msg{Type: msgType}
			for it := 0; it < iters; it++ {
				msg.Words[0] = uint64(it)
				t0 := c.Now()
				ce.Send(c, msg)
				ce.Recv(c)
				res.Clients[i] = append(res.Clients[i], c.Now()-t0)
			}
		})
	}
	total := len(clients) * iters
	res.Server = make([]arch.Cycles, 0, total)
	res.Service = make([]arch.Cycles, 0, total)
	m.Start(server, func(c arch.Core) {
		last := c.Now()
		for served := 0; served < total; {
			for _, ep := range eps {
				t0 := c.Now()
				req, ok := ep.TryRecv(c)
				if !ok {
					continue
				}
				for l := 0; l < nlines; l++ {
					a := base + arch.Addr(l*arch.CacheLineSize)
					c.Store(a, c.Load(a)+1)
				}
				ep.Send(c, req)
				now := c.Now()
				res.Server = append(res.Server, now-last)
				res.Service = append(res.Service, now-t0)
				last = now
				served++
			}
		}
	})
	if err := m.Run(); err != nil {
		return res, err
	}
	return res, nil
}
