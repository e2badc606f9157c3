package urpc

import (
	"fmt"

	"mksim/arch"
)

// Waitset receives from several endpoints of one core, polling them round
// robin as Barrelfish's waitset polls its UMP channels, then blocking on one
// Waiter when none had a message for the poll budget (on channels with
// Notify; otherwise it polls forever).
type Waitset struct {
	eps    []*Endpoint
	next   int
	waiter *Waiter
	budget arch.Cycles
}

// NewWaitset returns an empty waitset whose blocking waits use w (which may
// be nil if no endpoint added has Notify). budget <= 0 means
// DefaultPollBudget.
func NewWaitset(w *Waiter, budget arch.Cycles) *Waitset {
	if budget <= 0 {
		budget = DefaultPollBudget
	}
	return &Waitset{waiter: w, budget: budget}
}

// Add adds an endpoint; it must belong to the waitset's core.
func (ws *Waitset) Add(ep *Endpoint) {
	if len(ws.eps) > 0 && ws.eps[0].core != ep.core {
		panic(fmt.Sprintf("urpc: waitset of %v given an endpoint of %v", ws.eps[0].core, ep.core))
	}
	if ws.waiter != nil {
		ep.SetWaiter(ws.waiter)
	}
	ws.eps = append(ws.eps, ep)
}

// Len is the number of endpoints.
func (ws *Waitset) Len() int { return len(ws.eps) }

// TryRecv polls every endpoint once, starting after the one that last
// delivered, and returns the first message found.
func (ws *Waitset) TryRecv(c arch.Core) (*Endpoint, Msg, bool) {
	n := len(ws.eps)
	for i := 0; i < n; i++ {
		ep := ws.eps[(ws.next+i)%n]
		if m, ok := ep.TryRecv(c); ok {
			ws.next = (ws.next + i + 1) % n
			return ep, m, true
		}
	}
	return nil, Msg{}, false
}

// Recv returns the next message from any endpoint.
func (ws *Waitset) Recv(c arch.Core) (*Endpoint, Msg) {
	if len(ws.eps) == 0 {
		panic("urpc: Recv on an empty waitset")
	}
	notify := ws.waiter != nil
	for _, ep := range ws.eps {
		notify = notify && ep.opts.Notify
	}
	if len(ws.eps) == 1 && !notify {
		return ws.eps[0], ws.eps[0].Recv(c)
	}
	start := c.Now()
	for {
		if ep, m, ok := ws.TryRecv(c); ok {
			return ep, m
		}
		if !notify || c.Now()-start < ws.budget {
			continue
		}
		ws.block(c)
		start = c.Now()
	}
}

// block advertises a blocking episode on every endpoint, fences, re-checks
// them all, and halts on the waiter if none has a message.
func (ws *Waitset) block(c arch.Core) {
	w := ws.waiter
	w.arm()
	gens := make([]uint64, len(ws.eps))
	for i, ep := range ws.eps {
		gens[i] = c.Load(ep.st(stWaitGen)) + 1
		c.Store(ep.st(stWaitGen), gens[i])
		c.Store(ep.myFlag, gens[i]<<1|1)
	}
	c.Fence()
	idle := true
	for _, ep := range ws.eps {
		if ep.Pending(c) {
			idle = false
			break
		}
	}
	if idle {
		w.Wait(c)
	}
	for i, ep := range ws.eps {
		c.Store(ep.myFlag, gens[i]<<1)
	}
}
