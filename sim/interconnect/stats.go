package interconnect

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"mksim/sim"
	"mksim/sim/mem"
)

// opDense is the OpID below which attribution counters live in a slice;
// larger (rare) IDs go to a map.
const opDense = 1024

// OpStats is the traffic one software operation caused.
type OpStats struct {
	ID    mem.OpID
	Msgs  uint64
	Bytes uint64
}

func (o OpStats) String() string { return fmt.Sprintf("op %d: %d msgs %d B", o.ID, o.Msgs, o.Bytes) }

// opCounter counts, for one channel, the messages of each operation.
//
// channel.start adds to it for every message, and its cells are scattered
// (a channel's cell for an operation is touched once per message of that
// operation crossing that channel, many events apart), so they miss the
// host caches often: a dense cell is 16 bytes, four to a host cache line,
// not a 24-byte OpStats. A cell counts messages and, of them, data
// messages; the bytes follow, since every message of a class has the
// class's size (mem.Class.Bytes: a header, plus a line for data).
type opCounter struct {
	dense  []opCell // by OpID, below opDense
	sparse map[mem.OpID]*OpStats
}

// opCell is a dense counter: msgs messages, data of them ClassData.
type opCell struct {
	msgs, data uint64
}

// bytes is the bytes of the cell's messages.
func (c opCell) bytes() uint64 {
	return c.msgs*uint64(mem.ClassRequest.Bytes()) + c.data*uint64(mem.ClassData.Bytes()-mem.ClassRequest.Bytes())
}

func (o *opCounter) add(id mem.OpID, class mem.Class) {
	if id < opDense {
		c := o.cell(id)
		c.msgs++
		if class == mem.ClassData {
			c.data++
		}
		return
	}
	s := o.big(id)
	s.Msgs++
	s.Bytes += uint64(class.Bytes())
}

// cell returns the dense counter of id < opDense, growing the slice.
func (o *opCounter) cell(id mem.OpID) *opCell {
	if int(id) >= len(o.dense) {
		k := len(o.dense)
		o.dense = slices.Grow(o.dense, max(int(id)+1, 2*k)-k)[:max(int(id)+1, 2*k)]
	}
	return &o.dense[id]
}

// big returns the sparse counter of id >= opDense.
func (o *opCounter) big(id mem.OpID) *OpStats {
	if o.sparse == nil {
		o.sparse = make(map[mem.OpID]*OpStats)
	}
	s := o.sparse[id]
	if s == nil {
		s = &OpStats{ID: id}
		o.sparse[id] = s
	}
	return s
}

// list returns the non-zero counters sorted by OpID.
func (o *opCounter) list() []OpStats {
	var out []OpStats
	for i, c := range o.dense {
		if c.msgs > 0 {
			out = append(out, OpStats{ID: mem.OpID(i), Msgs: c.msgs, Bytes: c.bytes()})
		}
	}
	var big []OpStats
	for _, s := range o.sparse { // map order does not matter: sorted below
		big = append(big, *s)
	}
	slices.SortFunc(big, func(a, b OpStats) int { return int64cmp(int64(a.ID), int64(b.ID)) })
	return append(out, big...)
}

func (o *opCounter) reset() {
	clear(o.dense)
	clear(o.sparse)
}

// sumOps adds up lists of OpStats (each sorted by ID) into one, sorted by
// ID, one entry per operation.
func sumOps(lists [][]OpStats) []OpStats {
	var all []OpStats
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b OpStats) int { return int64cmp(int64(a.ID), int64(b.ID)) })
	var out []OpStats
	for _, o := range all {
		if k := len(out) - 1; k >= 0 && out[k].ID == o.ID {
			out[k].Msgs += o.Msgs
			out[k].Bytes += o.Bytes
			continue
		}
		out = append(out, o)
	}
	return out
}

func int64cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chanStats are a channel's counters, those written for every message
// (by channel.start) first. Bytes and busy time are not counted: every message of a class
// has the class's size and holds the channel for the channel's time for
// that class (channel.occ), so Snapshot multiplies them out of msgs.
type chanStats struct {
	// With channel's hot fields before them, these fill the struct's
	// second and third cache lines (ops: its slice of dense counters).
	queueDelay sim.Time
	maxQueue   int
	msgs       [mem.NumClasses]uint64
	ops        opCounter
	stall      sim.Time
	drops      uint64
}

type netStats struct {
	delivered  uint64
	latency    sim.Time
	maxLatency sim.Time
	deadlocks  uint64
	drops      uint64
	retries    uint64
}

// ChannelStats are the counters of one link direction or one bus.
type ChannelStats struct {
	Name     string     // "link 0-2 0->2" or "bus fsb"
	Bus      bool       // a bus; From and To are -1
	From, To mem.NodeID // a link direction
	// Messages and bytes that started crossing, by class. A bus broadcast
	// is one message.
	Msgs  [mem.NumClasses]uint64
	Bytes [mem.NumClasses]uint64
	// Busy is the time the channel spent serializing (and, on a bus,
	// arbitrating), charged when a message starts.
	Busy sim.Time
	// QueueDelay sums, over messages, the time from joining the queue to
	// starting to cross: waiting for the channel and for credits.
	QueueDelay sim.Time
	// Stall is the time the head of the queue waited for input-buffer
	// credits.
	Stall sim.Time
	// MaxQueue is the longest the queue got (messages, head included).
	MaxQueue int
	// Drops counts messages dropped from this queue by deadlock recovery.
	Drops uint64
	// Ops attributes the messages to software operations, by OpID.
	Ops []OpStats
}

// TotalMsgs is messages of every class.
func (c *ChannelStats) TotalMsgs() uint64 {
	var t uint64
	for _, v := range c.Msgs {
		t += v
	}
	return t
}

// TotalBytes is bytes of every class.
func (c *ChannelStats) TotalBytes() uint64 {
	var t uint64
	for _, v := range c.Bytes {
		t += v
	}
	return t
}

func (c *ChannelStats) String() string {
	return fmt.Sprintf("%s: %d msgs %d B busy %s qdelay %s stall %s maxq %d drops %d",
		c.Name, c.TotalMsgs(), c.TotalBytes(), ns(c.Busy), ns(c.QueueDelay), ns(c.Stall), c.MaxQueue, c.Drops)
}

// Report is a snapshot of every counter over a window of simulated time.
type Report struct {
	From, To   sim.Time
	Channels   []ChannelStats // links (A->B then B->A, config order), then buses
	Ops        []OpStats      // channel crossings summed over channels, by OpID (a 3-hop message counts 3)
	Delivered  uint64         // messages handed to receivers (each broadcast copy counts)
	Latency    sim.Time       // summed Send-to-Receive time of delivered messages
	MaxLatency sim.Time
	Deadlocks  uint64
	Drops      uint64 // messages dropped by deadlock recovery
	Retries    uint64 // messages re-injected by deadlock recovery
}

// Link returns the counters of the first link direction from -> to, or nil.
func (r *Report) Link(from, to mem.NodeID) *ChannelStats {
	for i := range r.Channels {
		if c := &r.Channels[i]; !c.Bus && c.From == from && c.To == to {
			return c
		}
	}
	return nil
}

// Channel returns the counters of the named channel, or nil.
func (r *Report) Channel(name string) *ChannelStats {
	for i := range r.Channels {
		if r.Channels[i].Name == name {
			return &r.Channels[i]
		}
	}
	return nil
}

// MeanLatency is the mean Send-to-Receive time of delivered messages.
func (r *Report) MeanLatency() sim.Time {
	if r.Delivered == 0 {
		return 0
	}
	return r.Latency / sim.Time(r.Delivered)
}

// Snapshot copies every counter since the last Reset (or the start).
func (n *Network) Snapshot() *Report {
	r := &Report{
		From: n.winStart, To: n.e.Now(),
		Delivered: n.st.delivered, Latency: n.st.latency, MaxLatency: n.st.maxLatency,
		Deadlocks: n.st.deadlocks, Drops: n.st.drops, Retries: n.st.retries,
	}
	var all [][]OpStats
	for _, c := range n.chans {
		cs := ChannelStats{
			Name: c.name, Bus: c.bus, From: c.from, To: c.to,
			Msgs:       c.st.msgs,
			QueueDelay: c.st.queueDelay, Stall: c.st.stall,
			MaxQueue: c.st.maxQueue, Drops: c.st.drops,
			Ops: c.st.ops.list(),
		}
		// Messages started ahead of a start still to come have not
		// started yet (channel.startQueued).
		c.prunePre(r.To)
		for i := 0; i < int(c.pre.n); i++ {
			x := c.pre.at(i)
			cs.Msgs[x.class]--
			cs.QueueDelay -= x.wait
			cs.Ops = subOp(cs.Ops, x.id, x.class.Bytes())
		}
		for k, m := range cs.Msgs {
			cs.Bytes[k] = m * uint64(mem.Class(k).Bytes())
			cs.Busy += sim.Time(m) * c.occ[k]
		}
		if c.bus {
			cs.From, cs.To = -1, -1
		}
		if c.blocked { // count the stall in progress
			cs.Stall += n.e.Now() - c.blockedAt
		}
		all = append(all, cs.Ops)
		r.Channels = append(r.Channels, cs)
	}
	r.Ops = sumOps(all)
	return r
}

// subOp takes one message of the given size, counted for operation id,
// out of ops (sorted by ID, every entry non-zero), keeping it so.
func subOp(ops []OpStats, id mem.OpID, bytes int) []OpStats {
	i, ok := slices.BinarySearchFunc(ops, id, func(o OpStats, id mem.OpID) int { return int64cmp(int64(o.ID), int64(id)) })
	if !ok {
		sim.Failf("interconnect", "snapshot", "no count for op %d to take a message out of", id)
	}
	ops[i].Msgs--
	ops[i].Bytes -= uint64(bytes)
	if ops[i].Msgs == 0 {
		ops = slices.Delete(ops, i, i+1)
	}
	return ops
}

// Reset zeroes every counter and starts a new window now. Queues, buffers
// and messages in flight are untouched.
func (n *Network) Reset() {
	now := n.e.Now()
	for _, c := range n.chans {
		ops := c.st.ops
		ops.reset()
		c.st = chanStats{ops: ops, maxQueue: c.queueLen(now)}
		// Messages started ahead of a start still to come start in
		// the new window (channel.startQueued).
		for i := 0; i < int(c.pre.n); i++ {
			x := c.pre.at(i)
			c.st.msgs[x.class]++
			c.st.queueDelay += x.wait
			c.st.ops.add(x.id, x.class)
		}
		if c.blocked {
			c.blockedAt = now
		}
	}
	n.st = netStats{}
	n.winStart = now
}

// String renders the report as a fixed text table. Every number is an
// integer or a fixed-precision decimal, so equal runs print equal bytes.
func (r *Report) String() string {
	var b strings.Builder
	window := r.To - r.From
	fmt.Fprintf(&b, "interconnect %s..%s (window %s)\n", ns(r.From), ns(r.To), ns(window))
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "channel\tmsgs\tbytes")
	for c := mem.Class(0); c < mem.NumClasses; c++ {
		fmt.Fprintf(tw, "\t%v", c)
	}
	fmt.Fprint(tw, "\tbusy\tutil%\tqdelay\tmaxq\tstall\tdrops\t\n")
	for i := range r.Channels {
		c := &r.Channels[i]
		fmt.Fprintf(tw, "%s\t%d\t%d", c.Name, c.TotalMsgs(), c.TotalBytes())
		for _, v := range c.Msgs {
			fmt.Fprintf(tw, "\t%d", v)
		}
		fmt.Fprintf(tw, "\t%s\t%s\t%s\t%d\t%s\t%d\t\n", ns(c.Busy), percent(c.Busy, window), ns(c.QueueDelay), c.MaxQueue, ns(c.Stall), c.Drops)
	}
	tw.Flush()
	if len(r.Ops) > 0 {
		b.WriteString("by operation\n")
		tw = tabwriter.NewWriter(&b, 0, 8, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "op\tchannel\tmsgs\tbytes\t\n")
		for _, o := range r.Ops {
			fmt.Fprintf(tw, "%d\t(all)\t%d\t%d\t\n", o.ID, o.Msgs, o.Bytes)
			for i := range r.Channels {
				c := &r.Channels[i]
				for _, co := range c.Ops {
					if co.ID == o.ID {
						fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t\n", o.ID, c.Name, co.Msgs, co.Bytes)
					}
				}
			}
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "delivered %d  mean latency %s  max latency %s  deadlocks %d  drops %d  retries %d\n",
		r.Delivered, ns(r.MeanLatency()), ns(r.MaxLatency), r.Deadlocks, r.Drops, r.Retries)
	return b.String()
}

// ns renders a time in nanoseconds, exactly: "25.5ns", "0.376ns", "18ns".
// Reports use it so every column has one unit.
func ns(t sim.Time) string {
	neg := ""
	if t < 0 {
		neg, t = "-", -t
	}
	whole, frac := int64(t/sim.Nanosecond), int64(t%sim.Nanosecond)
	if frac == 0 {
		return fmt.Sprintf("%s%dns", neg, whole)
	}
	f := strings.TrimRight(fmt.Sprintf("%03d", frac), "0")
	return fmt.Sprintf("%s%d.%sns", neg, whole, f)
}

// percent renders part/whole as a percentage with one decimal, in integer
// arithmetic.
func percent(part, whole sim.Time) string {
	if whole <= 0 {
		return "-"
	}
	permille := (int64(part)*1000 + int64(whole)/2) / int64(whole)
	return fmt.Sprintf("%d.%d", permille/10, permille%10)
}
