package archtest

import (
	"fmt"

	"mksim/arch"
)

const pageWords = 512 // 4 KiB pages of 8-byte words

type page [pageWords]uint64

func (m *Machine) read(a arch.Addr) uint64 {
	p := m.mem[uint64(a)/(pageWords*8)]
	if p == nil {
		return 0
	}
	return p[(uint64(a)/8)%pageWords]
}

func (m *Machine) write(a arch.Addr, v uint64) {
	k := uint64(a) / (pageWords * 8)
	p := m.mem[k]
	if p == nil {
		if v == 0 {
			return
		}
		p = new(page)
		m.mem[k] = p
	}
	p[(uint64(a)/8)%pageWords] = v
}

// check panics on a misaligned address or one outside every region.
func (m *Machine) check(a arch.Addr) {
	if a%arch.WordSize != 0 {
		panic(fmt.Sprintf("archtest: misaligned word address %#x", uint64(a)))
	}
	for _, r := range m.regions {
		if a >= r.Base && uint64(a-r.Base) < r.Size {
			return
		}
	}
	panic(fmt.Sprintf("archtest: address %#x is outside every memory region", uint64(a)))
}
