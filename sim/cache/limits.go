package cache

// MaxOutstanding tells a core how many of its accesses the L1 takes at once
// (sim/cores.PortLimits): a demand load and a store-buffer drain may miss
// together, as on the real cores, whose miss buffers serve loads and stores
// alike. More would need a core that issues loads out of order, which
// sim/cores does not model.
func (l *L1) MaxOutstanding() int { return min(2, len(l.mshr)) }
