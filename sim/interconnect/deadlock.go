package interconnect

import (
	"fmt"
	"slices"
	"strings"

	"mksim/sim"
)

// Deadlock describes one detected cycle of full input buffers.
type Deadlock struct {
	Seq      int      // 1, 2, ... in detection order
	At       sim.Time // when the last message blocked
	RetryAt  sim.Time // when its messages are dropped and retried
	Channels []string // channels whose head can never advance
	Stuck    []string // every message queued on them: "channel [pos] msg (...)"
	Dropped  int      // messages dropped at RetryAt (filled in then)
}

func (d *Deadlock) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "deadlock %d at %s, retry at %s: %d channels (%s), %d messages stuck",
		d.Seq, ns(d.At), ns(d.RetryAt), len(d.Channels), strings.Join(d.Channels, ", "), len(d.Stuck))
	if d.Dropped > 0 {
		fmt.Fprintf(&b, ", %d dropped", d.Dropped)
	}
	for _, s := range d.Stuck {
		b.WriteString("\n  ")
		b.WriteString(s)
	}
	return b.String()
}

// Deadlocks returns every deadlock detected so far, in order.
func (n *Network) Deadlocks() []*Deadlock { return n.deadlocks }

// kick puts a channel on the list of channels to try.
func (n *Network) kick(c *channel) {
	if !c.kicked {
		c.kicked = true
		n.kicks = append(n.kicks, c)
	}
}

// drain tries every kicked channel until none is left, in kick order, then
// runs deadlock detection if something blocked for good.
func (n *Network) drain() {
	// Inline: most calls find nothing to do (the idle fast path left
	// nothing queued).
	if n.draining || len(n.kicks) == 0 && !n.needDetect {
		return
	}
	n.drainKicks()
}

func (n *Network) drainKicks() {
	n.draining = true
	for i := 0; i < len(n.kicks); i++ {
		c := n.kicks[i]
		c.kicked = false
		c.try()
	}
	n.kicks = n.kicks[:0] // channels live as long as the network: no need to clear
	n.draining = false
	if n.needDetect {
		n.needDetect = false
		n.detect()
	}
}

// stuckSet marks (channel.cand) the channels that can never advance: the
// greatest set of blocked channels each of whose head waits on a full buffer
// all of whose occupants are queued on channels of the set. Nothing in
// flight, so nothing but a drop can free them. It reports whether the set
// is non-empty.
func (n *Network) stuckSet() bool {
	some := false
	now := n.e.Now()
	for _, b := range n.bufs {
		b.settle(now)
	}
	for _, c := range n.chans {
		c.cand = c.blocked && now >= c.busyUntil && c.q.n > 0
		some = some || c.cand
	}
	for some {
		for _, b := range n.bufs {
			b.stuckOcc = 0
		}
		for _, c := range n.chans {
			if !c.cand {
				continue
			}
			for i := 0; i < c.q.n; i++ {
				if h := c.q.at(i).held; h != nil {
					h.stuckOcc++
				}
			}
		}
		changed := false
		some = false
		for _, c := range n.chans {
			if !c.cand {
				continue
			}
			if c.headStuck() {
				some = true
			} else {
				c.cand = false
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	return some
}

func (c *channel) headStuck() bool {
	p := c.q.front()
	stuck := func(b *inbuf) bool { return b.full() && b.stuckOcc == b.used }
	if len(p.bcast) == 0 {
		return stuck(c.buf(p.next))
	}
	for _, d := range p.bcast {
		if stuck(c.buf(d)) {
			return true
		}
	}
	return false
}

// detect reports the channels newly found stuck and schedules their
// recovery after the retry timeout.
func (n *Network) detect() {
	if !n.stuckSet() {
		return
	}
	now := n.e.Now()
	var d *Deadlock
	for _, c := range n.chans {
		if !c.cand || c.stuck {
			continue
		}
		if d == nil {
			d = &Deadlock{Seq: len(n.deadlocks) + 1, At: now, RetryAt: now + n.cfg.RetryTimeout}
		}
		c.stuck, c.stuckAt = true, now
		d.Channels = append(d.Channels, c.name)
		for i := 0; i < c.q.n; i++ {
			d.Stuck = append(d.Stuck, fmt.Sprintf("%s [%d] %v", c.name, i, c.q.at(i)))
		}
	}
	if d == nil {
		return
	}
	n.deadlocks = append(n.deadlocks, d)
	n.st.deadlocks++
	n.e.Schedule(d.RetryAt, retryTimer{n}, uint64(len(n.deadlocks)-1))
	if n.cfg.OnDeadlock != nil {
		n.cfg.OnDeadlock(d)
	}
}

// retryTimer is the handler of deadlock retry timeouts; a one-pointer
// value, so scheduling it does not allocate.
type retryTimer struct{ n *Network }

func (r retryTimer) Name() string { return "interconnect retry timer" }

// Handle is the retry timeout of deadlock number arg (0-based).
func (r retryTimer) Handle(arg uint64) {
	r.n.recover(r.n.deadlocks[arg])
	r.n.drain()
}

// recover drops every message queued on the channels of d that are still
// stuck, releasing the buffer slots they held, and queues them for retry
// from their sources. Like the HyperTransport reset it models, it does not
// care which message closed the cycle.
func (n *Network) recover(d *Deadlock) {
	if !n.stuckSet() {
		return
	}
	now := n.e.Now()
	var dropped []*packet
	for _, c := range n.chans {
		if !c.cand || !c.stuck || c.stuckAt+n.cfg.RetryTimeout > now {
			continue
		}
		k := c.q.n
		for c.q.n > 0 {
			dropped = append(dropped, c.q.pop())
		}
		c.st.drops += uint64(k)
		c.st.stall += now - c.blockedAt
		c.blocked, c.stuck = false, false
	}
	slices.SortFunc(dropped, func(a, b *packet) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	for _, p := range dropped {
		if h := p.held; h != nil {
			p.held = nil
			h.used--
			n.kick(h.ch)
		}
		if p == n.retrying {
			n.retrying = nil
		}
		n.retryQ = append(n.retryQ, p)
	}
	d.Dropped += len(dropped)
	n.st.drops += uint64(len(dropped))
	n.startRetry()
	// Anything still stuck but not yet reported gets its own timeout.
	n.needDetect = true
}

// startRetry re-injects the next dropped message from its source. Retries go
// one at a time, the next when the previous is delivered (or dropped again),
// so a retried batch cannot rebuild the cycle it came from.
func (n *Network) startRetry() {
	if n.retrying != nil || len(n.retryQ) == 0 {
		return
	}
	p := n.retryQ[0]
	copy(n.retryQ, n.retryQ[1:])
	n.retryQ[len(n.retryQ)-1] = nil
	n.retryQ = n.retryQ[:len(n.retryQ)-1]
	n.retrying = p
	n.st.retries++
	if len(p.bcast) > 0 {
		p.next = p.bcast[0]
		n.enqueue(p.ch, p)
		return
	}
	n.route(p, p.src)
}
