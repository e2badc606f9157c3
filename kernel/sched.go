package kernel

import (
	"fmt"

	"mksim/arch"
)

// RBED (schedule_rbed.c): earliest deadline first over a queue sorted by
// absolute deadline (release + relative deadline), with hard and soft
// real-time reservations and best-effort tasks sharing what is left (at
// least BETA). The queue and every task parameter live in memory (KCB and
// DCB line 1); each operation below makes the loads and stores the C code
// makes.

const (
	spectrum = 1_000_000     // fixed-point 1.0
	beta     = spectrum / 10 // share reserved for best-effort work
	noDCB    = uint64(0)
)

// admit checks a real-time dispatcher's reservation against the current
// utilisation (make_runnable panics on overload; creation refuses instead).
func (k *CPUDriver) admit(cfg DispatcherConfig) error {
	u := uint64(cfg.WCET) * spectrum / uint64(cfg.Period)
	var hrt, srt uint64
	for _, d := range k.disps {
		if d.dead || d.cfg.Type == BestEffort {
			continue
		}
		x := uint64(d.cfg.WCET) * spectrum / uint64(d.cfg.Period)
		if d.cfg.Type == HardRT {
			hrt += x
		} else {
			srt += x
		}
	}
	if hrt+srt+u+beta > spectrum {
		return fmt.Errorf("overload: utilisation %d + %d + %d + beta exceeds %d", hrt, srt, u, spectrum)
	}
	return nil
}

func (k *CPUDriver) deadlineOf(dcb arch.Addr) uint64 {
	return k.ld(dcb, dcbRelease) + k.ld(dcb, dcbDeadline)
}

// inQueue is in_queue(): linked, or the tail.
func (k *CPUDriver) inQueue(d *Dispatcher) bool {
	return k.ld(d.dcb, dcbNext) != noDCB || k.ld(k.kcb, kcbQueueTail) == uint64(d.dcb)
}

// queueInsert inserts in deadline order; equal deadlines go after the
// existing ones, so equal best-effort tasks round-robin.
func (k *CPUDriver) queueInsert(d *Dispatcher) {
	dl := k.deadlineOf(d.dcb)
	var prev uint64
	cur := k.ld(k.kcb, kcbQueueHead)
	for cur != noDCB {
		k.c.Compute(instrQueueStep)
		if dl < k.deadlineOf(arch.Addr(cur)) {
			break
		}
		prev = cur
		cur = k.ld(arch.Addr(cur), dcbNext)
	}
	k.st(d.dcb, dcbNext, cur)
	if prev == noDCB {
		k.st(k.kcb, kcbQueueHead, uint64(d.dcb))
	} else {
		k.st(arch.Addr(prev), dcbNext, uint64(d.dcb))
	}
	if cur == noDCB {
		k.st(k.kcb, kcbQueueTail, uint64(d.dcb))
	}
}

// queueRemove unlinks d (linear search, as the C code).
func (k *CPUDriver) queueRemove(d *Dispatcher) {
	var prev uint64
	cur := k.ld(k.kcb, kcbQueueHead)
	for cur != noDCB && cur != uint64(d.dcb) {
		k.c.Compute(instrQueueStep)
		prev = cur
		cur = k.ld(arch.Addr(cur), dcbNext)
	}
	if cur == noDCB {
		return
	}
	next := k.ld(d.dcb, dcbNext)
	if prev == noDCB {
		k.st(k.kcb, kcbQueueHead, next)
	} else {
		k.st(arch.Addr(prev), dcbNext, next)
	}
	if k.ld(k.kcb, kcbQueueTail) == uint64(d.dcb) {
		k.st(k.kcb, kcbQueueTail, prev)
	}
	k.st(d.dcb, dcbNext, noDCB)
}

// makeRunnable is make_runnable(): no-op if queued; otherwise account the
// task's utilisation or weight, release it now (best effort), and insert.
func (k *CPUDriver) makeRunnable(d *Dispatcher) {
	if d.dead || k.inQueue(d) {
		return
	}
	now := uint64(k.c.Now())
	switch SchedType(k.ld(d.dcb, dcbType)) {
	case BestEffort:
		k.st(k.kcb, kcbWBE, k.ld(k.kcb, kcbWBE)+k.ld(d.dcb, dcbWeight))
		n := k.ld(k.kcb, kcbNBE) + 1
		k.st(k.kcb, kcbNBE, n)
		p := n * uint64(k.opts.Timeslice)
		k.st(d.dcb, dcbPeriod, p)
		k.st(d.dcb, dcbDeadline, p)
		k.st(d.dcb, dcbRelease, now)
		k.st(d.dcb, dcbEtime, 0)
	case HardRT, SoftRT:
		w := kcbUSRT
		if SchedType(k.ld(d.dcb, dcbType)) == HardRT {
			w = kcbUHRT
		}
		u := k.ld(d.dcb, dcbWCET) * spectrum / k.ld(d.dcb, dcbPeriod)
		tot := k.ld(k.kcb, w) + u
		k.st(k.kcb, w, tot)
		if k.ld(k.kcb, kcbUHRT)+k.ld(k.kcb, kcbUSRT)+beta > spectrum {
			k.failf("RBED overload making %v runnable", d)
		}
	}
	k.queueInsert(d)
}

// schedRemove is scheduler_remove(): unqueue and take back the task's
// utilisation or weight.
func (k *CPUDriver) schedRemove(d *Dispatcher) {
	if !k.inQueue(d) {
		return
	}
	k.queueRemove(d)
	switch SchedType(k.ld(d.dcb, dcbType)) {
	case BestEffort:
		k.st(k.kcb, kcbWBE, k.ld(k.kcb, kcbWBE)-k.ld(d.dcb, dcbWeight))
		k.st(k.kcb, kcbNBE, k.ld(k.kcb, kcbNBE)-1)
	case HardRT:
		k.st(k.kcb, kcbUHRT, k.ld(k.kcb, kcbUHRT)-k.ld(d.dcb, dcbWCET)*spectrum/k.ld(d.dcb, dcbPeriod))
	case SoftRT:
		k.st(k.kcb, kcbUSRT, k.ld(k.kcb, kcbUSRT)-k.ld(d.dcb, dcbWCET)*spectrum/k.ld(d.dcb, dcbPeriod))
	}
	if k.ld(k.kcb, kcbLastDisp) == uint64(d.dcb) {
		k.st(k.kcb, kcbLastDisp, noDCB)
	}
}

// release starts a new job of d: best effort now, real time one period on.
// A best-effort task's period is refreshed to n_be timeslices (Barrelfish
// sets it only in make_runnable, so tasks made runnable earlier keep shorter
// periods and equal tasks do not strictly alternate; refreshing it makes
// equal best-effort tasks round-robin as the queue's tie rule intends).
func (k *CPUDriver) release(d arch.Addr, now uint64) {
	if SchedType(k.ld(d, dcbType)) == BestEffort {
		p := k.ld(k.kcb, kcbNBE) * uint64(k.opts.Timeslice)
		k.st(d, dcbPeriod, p)
		k.st(d, dcbDeadline, p)
		k.st(d, dcbRelease, now)
	} else {
		k.st(d, dcbRelease, k.ld(d, dcbRelease)+k.ld(d, dcbPeriod))
	}
	k.st(d, dcbEtime, 0)
}

// schedYield is scheduler_yield(): the task gives up the rest of its job.
func (k *CPUDriver) schedYield(d *Dispatcher) {
	if !k.inQueue(d) {
		k.makeRunnable(d)
	}
	k.queueRemove(d)
	k.release(d.dcb, uint64(k.c.Now()))
	k.queueInsert(d)
}

// schedule is schedule(): charge the last dispatched task for the time it
// ran, then take the earliest-deadline released task that has budget left,
// re-releasing tasks whose budget is spent. With no timer to wait for a
// future release, a queue whose tasks are all unreleased yields its head.
func (k *CPUDriver) schedule() *Dispatcher {
	c := k.c
	c.Compute(instrSchedule)
	now := uint64(c.Now())
	if last := arch.Addr(k.ld(k.kcb, kcbLastDisp)); last != 0 {
		rel, ld := k.ld(last, dcbRelease), k.ld(last, dcbLastDispatch)
		if rel <= now {
			k.st(last, dcbEtime, k.ld(last, dcbEtime)+now-max(ld, rel))
		}
	}
	for tries := 0; ; tries++ {
		head := k.ld(k.kcb, kcbQueueHead)
		if head == noDCB {
			k.st(k.kcb, kcbLastDisp, noDCB)
			return nil
		}
		todisp := head
		for todisp != noDCB && k.ld(arch.Addr(todisp), dcbRelease) > now {
			c.Compute(instrQueueStep)
			todisp = k.ld(arch.Addr(todisp), dcbNext)
		}
		if todisp == noDCB {
			todisp = head
		}
		t := arch.Addr(todisp)
		if SchedType(k.ld(t, dcbType)) == BestEffort {
			k.setBestEffortWCET(t)
		}
		if k.ld(t, dcbEtime) < k.ld(t, dcbWCET) || tries > len(k.disps)+1 {
			k.st(t, dcbLastDispatch, now)
			k.st(k.kcb, kcbLastDisp, todisp)
			return k.byDCB[t]
		}
		d := k.byDCB[t]
		k.queueRemove(d)
		k.release(t, now)
		k.queueInsert(d)
	}
}

// setBestEffortWCET gives a best-effort task its share of what real-time
// tasks leave (at least BETA), by weight, over its period.
func (k *CPUDriver) setBestEffortWCET(t arch.Addr) {
	left := int64(spectrum) - int64(k.ld(k.kcb, kcbUHRT)) - int64(k.ld(k.kcb, kcbUSRT))
	if left < beta {
		left = beta
	}
	wbe := k.ld(k.kcb, kcbWBE)
	if wbe == 0 {
		wbe = 1
	}
	share := uint64(left) * k.ld(t, dcbWeight) / wbe
	k.st(t, dcbWCET, share*k.ld(t, dcbPeriod)/spectrum)
}
