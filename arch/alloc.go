package arch

import "fmt"

// FrameAllocator hands out physical memory from a machine's regions, by node.
// It is a bump allocator: the multikernel's memory management is not what the
// experiments measure, and a deterministic layout keeps runs reproducible.
type FrameAllocator struct {
	next map[NodeID]Addr
	end  map[NodeID]Addr
	ids  []NodeID
}

// NewFrameAllocator prepares to allocate from rs. Each node's allocation
// starts past the first 64 KiB of its first region (kept free so that address
// zero is never handed out).
func NewFrameAllocator(rs []Region) *FrameAllocator {
	f := &FrameAllocator{next: map[NodeID]Addr{}, end: map[NodeID]Addr{}}
	for _, r := range rs {
		if _, ok := f.next[r.Node]; ok {
			continue // first region of each node only
		}
		f.next[r.Node] = r.Base + 64<<10
		f.end[r.Node] = r.Base + Addr(r.Size)
		f.ids = append(f.ids, r.Node)
	}
	return f
}

// Alloc returns size bytes local to node, aligned to align (a power of two;
// at least a cache line).
func (f *FrameAllocator) Alloc(node NodeID, size uint64, align uint64) (Addr, error) {
	if align < CacheLineSize {
		align = CacheLineSize
	}
	n, ok := f.next[node]
	if !ok {
		return 0, fmt.Errorf("arch: no memory on node %d", node)
	}
	a := (n + Addr(align-1)) &^ Addr(align-1)
	if a+Addr(size) > f.end[node] {
		return 0, fmt.Errorf("arch: node %d out of memory allocating %d bytes", node, size)
	}
	f.next[node] = a + Addr(size)
	return a, nil
}

// MustAlloc is Alloc for set-up code where running out is a bug.
func (f *FrameAllocator) MustAlloc(node NodeID, size uint64, align uint64) Addr {
	a, err := f.Alloc(node, size, align)
	if err != nil {
		panic(err)
	}
	return a
}
