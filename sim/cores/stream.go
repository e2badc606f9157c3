package cores

import "mksim/sim/mem"

// The hardware stream prefetcher.
//
// Both families the paper measured have one in the L1 data cache unit (the
// K10's stride prefetcher, Core 2's DCU and IP prefetchers), and the paper
// leans on it: it credits the stride prefetcher for the flat start of the
// unicast shootdown (Fig. 6), and pipelined URPC (Table 2) reads a ring of
// consecutive lines. We model the common core of those designs, not any
// one exactly:
//
//   - a stream starts on a demand load miss to the line just after the
//     previous demand miss (an ascending sequence of lines);
//   - while the stream lives, a demand load (hit or miss) of its next
//     expected line advances it, and the prefetcher keeps Degree lines
//     ahead of it;
//   - it never crosses a 4 KiB page (the hardware works on physical
//     addresses and cannot know the next page's frame);
//   - prefetches go through the core's prefetch slots, like software
//     prefetches, and are dropped when every slot is busy.
//
// A prefetch of a line the L1 already has is free. The cost of a prefetch
// that fetches a line too early (before its writer wrote it) is real and
// modelled: the line comes in shared and the writer's store must
// invalidate it.

const pageMask = 4096 - 1

// stream is the prefetcher's state (one stream).
type stream struct {
	degree   mem.LineAddr // lines to keep ahead, in line units (0: off)
	next     mem.LineAddr // the stream's next expected line (0: no stream)
	front    mem.LineAddr // the last line prefetched for the stream
	lastMiss mem.LineAddr // the previous demand miss
}

// observe is told of every demand load after the L1 lookup: its line and
// whether it missed.
func (c *Core) observe(line mem.LineAddr, miss bool) {
	s := &c.pf
	starts := miss && line == s.lastMiss+mem.LineSize && line&pageMask != 0
	if miss {
		s.lastMiss = line
	}
	switch {
	case s.next != 0 && line == s.next:
	case starts:
		s.front = line
	default:
		return
	}
	s.next = line + mem.LineSize
	if s.next&pageMask == 0 {
		s.next = 0 // the stream ends at the page boundary
	}
	target := line + s.degree*mem.LineSize
	if end := line | pageMask; target > end {
		target = end &^ (mem.LineSize - 1)
	}
	for l := max(s.front, line) + mem.LineSize; l <= target; l += mem.LineSize {
		c.stats.HWPrefetches++
		if !c.startPrefetch(mem.Addr(l)) {
			c.stats.HWPrefetchesDropped++
		}
	}
	s.front = max(s.front, target)
}
