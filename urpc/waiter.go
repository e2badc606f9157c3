package urpc

import "mksim/arch"

// Waiter is a core's doorbell for URPC notifications: it owns the
// interrupt handler of one vector on one core, and blocking receivers of
// that core halt on it until the handler has run. The handler only records
// that the bell rang (as a CPU driver's interrupt entry would); which channel
// has work is found by re-polling, so one IPI may serve several channels and
// a wake-up may be spurious.
type Waiter struct {
	core arch.CoreID
	vec  arch.Vector
	rung bool
}

// NewWaiter installs the notification handler for v on c.
func NewWaiter(c arch.Core, v arch.Vector) *Waiter {
	w := &Waiter{core: c.ID(), vec: v}
	c.SetInterruptHandler(v, func(arch.Core, arch.Vector, arch.CoreID) { w.rung = true })
	return w
}

// Vector returns the waiter's interrupt vector.
func (w *Waiter) Vector() arch.Vector { return w.vec }

func (w *Waiter) arm() { w.rung = false }

// Wait halts until the bell has rung since the last arm. Interrupts are
// enabled for the wait and restored after. The check of the flag and the
// Halt have no Core call between them, so an IPI cannot be taken in between
// and lost (the model of sti;hlt's interrupt shadow).
func (w *Waiter) Wait(c arch.Core) {
	was := c.SetInterrupts(true)
	for !w.rung {
		c.Halt()
	}
	if !was {
		c.SetInterrupts(false)
	}
}
