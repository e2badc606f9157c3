package sim

import (
	"fmt"
	"math"
)

// Time is simulated time in integer picoseconds since the start of a run.
type Time int64

// Units of Time.
const (
	Picosecond  Time = 1
	Nanosecond  Time = 1000 * Picosecond
	Microsecond Time = 1000 * Nanosecond
	Millisecond Time = 1000 * Microsecond
	Second      Time = 1000 * Millisecond
)

// Never is a time later than any event; RunUntil(Never) runs until idle.
const Never Time = math.MaxInt64

// String renders the time with a unit that keeps it exact where possible.
func (t Time) String() string {
	switch {
	case t == Never:
		return "never"
	case t%Millisecond == 0 && t != 0:
		return fmt.Sprintf("%dms", t/Millisecond)
	case t%Microsecond == 0 && t != 0:
		return fmt.Sprintf("%dus", t/Microsecond)
	case t%Nanosecond == 0 && t != 0:
		return fmt.Sprintf("%dns", t/Nanosecond)
	default:
		return fmt.Sprintf("%dps", int64(t))
	}
}

// Cycles counts periods of some Clock. Which clock is always said by context:
// results are reported in cycles of the core that measured them.
type Cycles int64

// Clock is a clock domain with an integer period. Frequencies that do not
// divide a second into whole picoseconds are rounded to the nearest period
// (2.66 GHz becomes 376 ps, 0.01 % off), which keeps all time arithmetic exact.
type Clock struct {
	Name   string
	Period Time
}

// NewClockHz returns a clock of the given frequency, period rounded to the
// nearest picosecond. It panics on a frequency that rounds to a zero period;
// input validation belongs to the topology loader.
func NewClockHz(name string, hz float64) Clock {
	p := Time(math.Round(1e12 / hz))
	if hz <= 0 || p <= 0 {
		Failf("sim.Clock", "new", "clock %q: frequency %g Hz gives no whole picosecond period", name, hz)
	}
	return Clock{Name: name, Period: p}
}

// Hz is the clock's frequency as implied by its integer period.
func (c Clock) Hz() float64 { return 1e12 / float64(c.Period) }

// Time converts a number of cycles of this clock into a duration.
func (c Clock) Time(n Cycles) Time { return Time(n) * c.Period }

// Cycles converts a duration into whole cycles of this clock, rounding down.
func (c Clock) Cycles(t Time) Cycles { return Cycles(t / c.Period) }

// CyclesCeil converts a duration into cycles, rounding up.
func (c Clock) CyclesCeil(t Time) Cycles { return Cycles((t + c.Period - 1) / c.Period) }

// NextEdge returns the first clock edge at or after t.
func (c Clock) NextEdge(t Time) Time {
	r := t % c.Period
	if r == 0 {
		return t
	}
	return t + c.Period - r
}
