package machine

import (
	"mksim/sim"
	"mksim/sim/interconnect"
	"mksim/sim/mem"
)

// ncPort is the private cache of a non-coherent core (an accelerator): a
// write-back, set-associative L1 outside the coherence protocol. Misses read
// physical memory at the line's home directly, and dirty lines reach memory
// only when evicted or flushed, so another core sees this core's stores
// only after Flush, and this core sees theirs only after Invalidate (and
// only once their caches have written them back): exactly the discipline a
// non-coherent core imposes on software.
type ncPort struct {
	name    string
	eng     *sim.Engine
	memory  *mem.Memory
	homes   *mem.HomeMap
	net     *interconnect.Network
	node    mem.NodeID
	hit     sim.Time
	dram    func(mem.NodeID) sim.Time
	sets    [][]ncLine
	ways    int
	stamp   uint64
	pending *mem.Access
	done    mem.Completion
	result  uint64
}

type ncLine struct {
	tag   mem.LineAddr
	valid bool
	dirty bool
	lru   uint64
	data  mem.Data
}

func newNCPort(name string, eng *sim.Engine, memory *mem.Memory, homes *mem.HomeMap, net *interconnect.Network,
	node mem.NodeID, size, ways int, hit sim.Time, dram func(mem.NodeID) sim.Time) *ncPort {
	nsets := size / mem.LineSize / ways
	p := &ncPort{name: name, eng: eng, memory: memory, homes: homes, net: net, node: node, hit: hit, dram: dram, ways: ways}
	p.sets = make([][]ncLine, nsets)
	for i := range p.sets {
		p.sets[i] = make([]ncLine, ways)
	}
	return p
}

func (p *ncPort) Name() string { return p.name }

func (p *ncPort) set(l mem.LineAddr) []ncLine {
	return p.sets[(uint64(l)/mem.LineSize)%uint64(len(p.sets))]
}

func (p *ncPort) lookup(l mem.LineAddr) *ncLine {
	s := p.set(l)
	for i := range s {
		if s[i].valid && s[i].tag == l {
			return &s[i]
		}
	}
	return nil
}

// perform does the access on a resident line.
func (p *ncPort) perform(ln *ncLine, a *mem.Access) uint64 {
	p.stamp++
	ln.lru = p.stamp
	w := a.Addr.Word()
	old := ln.data[w]
	switch a.Op {
	case mem.OpLoad, mem.OpPrefetch, mem.OpPrefetchW:
	case mem.OpStore:
		ln.data[w] = a.Value
		ln.dirty = true
	default: // atomics: locked on a private cache
		ln.data[w] = a.Apply(old)
		ln.dirty = true
	}
	return old
}

// Hit implements mem.Port.
func (p *ncPort) Hit(a *mem.Access) (uint64, sim.Time, bool) {
	if a.Op == mem.OpFlush || a.Op == mem.OpInvalidate {
		return 0, 0, false
	}
	ln := p.lookup(a.Addr.Line())
	if ln == nil {
		return 0, 0, false
	}
	return p.perform(ln, a), p.hit, true
}

// memLatency is a round trip to the line's home: request out, DRAM, data
// back, over the unloaded interconnect.
func (p *ncPort) memLatency(l mem.LineAddr) sim.Time {
	home := p.homes.Home(mem.Addr(l))
	t := p.dram(home)
	if home != p.node {
		t += p.net.UnloadedLatency(p.node, home, mem.ClassRequest) + p.net.UnloadedLatency(home, p.node, mem.ClassData)
	}
	return t
}

// Issue implements mem.Port: one miss at a time.
func (p *ncPort) Issue(a *mem.Access, done mem.Completion) {
	if p.pending != nil {
		sim.Failf(p.name, "busy", "second access %v issued while %v is outstanding", a, p.pending)
	}
	line := a.Addr.Line()
	lat := p.hit
	switch a.Op {
	case mem.OpFlush, mem.OpInvalidate:
		if ln := p.lookup(line); ln != nil {
			if ln.dirty && a.Op == mem.OpFlush {
				p.memory.WriteLine(line, ln.data)
				lat += p.memLatency(line)
			}
			ln.valid = false
		}
		p.result = 0
	default:
		lat += p.memLatency(line)
		s := p.set(line)
		victim := &s[0]
		for i := range s {
			if !s[i].valid {
				victim = &s[i]
				break
			}
			if s[i].lru < victim.lru {
				victim = &s[i]
			}
		}
		if victim.valid && victim.dirty {
			p.memory.WriteLine(victim.tag, victim.data)
		}
		*victim = ncLine{tag: line, valid: true, data: p.memory.ReadLine(line)}
		p.result = p.perform(victim, a)
	}
	if done == nil { // prefetch without completion
		return
	}
	p.pending, p.done = a, done
	p.eng.After(lat, p, 0)
}

// Handle completes the outstanding access.
func (p *ncPort) Handle(uint64) {
	done := p.done
	p.pending, p.done = nil, nil
	done.Complete(p.result)
}
