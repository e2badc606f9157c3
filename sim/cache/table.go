package cache

import (
	"fmt"
	"strings"
)

// keep as a row's next state means "stay in the current state".
const keep = 0xff

// maxActs bounds the actions of one row (the longest rows have 5; a longer
// one panics at start-up, asking for a larger bound).
const maxActs = 5

// row is one transition: the actions to run, in order, and the next state.
// The actions sit in the row (no slice to chase) and a row is 8 bytes: the
// controllers look one up for every message and request, and a whole
// package table fits in under 3 KiB.
type row struct {
	set  bool
	next uint8
	n    uint8 // actions in act
	act  [maxActs]uint8
}

// countRows turns on the tables' coverage counters (table.hits). The
// package's tests set it; the simulator has no use for them and does not
// pay for the stores.
var countRows = false

// acts returns the row's actions, in order.
func (r *row) acts() []uint8 { return r.act[:r.n] }

// table is a protocol controller written as data: (state, event) ->
// (actions, next state). A pair with no row is a protocol bug: the
// controller panics naming the line, the state and the event.
type table struct {
	name    string
	states  []string
	events  []string
	actions []string
	flat    []row    // row (s, e) is flat[s*nev+e]
	rows    [][]row  // rows[s][e]: views of flat, for building and printing
	hits    []uint64 // times each row ran, as flat (when countRows)
	nev     int
}

func newTable(name string, states, events, actions []string) *table {
	t := &table{name: name, states: states, events: events, actions: actions, nev: len(events)}
	t.flat = make([]row, len(states)*len(events))
	t.hits = make([]uint64, len(t.flat))
	t.rows = make([][]row, len(states))
	for i := range t.rows {
		t.rows[i] = t.flat[i*t.nev : (i+1)*t.nev : (i+1)*t.nev]
	}
	return t
}

// add defines (s, e) -> (acts, next). Defining a pair twice is a bug in
// the table itself and panics at start-up.
func (t *table) add(s, e, next uint8, acts ...uint8) {
	r := &t.rows[s][e]
	if r.set {
		panic(fmt.Sprintf("cache: table %s: row (%s, %s) defined twice", t.name, t.states[s], t.events[e]))
	}
	if next == keep {
		next = s
	}
	if len(acts) > maxActs {
		panic(fmt.Sprintf("cache: table %s: row (%s, %s) has %d actions, more than maxActs (%d): raise it", t.name, t.states[s], t.events[e], len(acts), maxActs))
	}
	*r = row{set: true, next: next, n: uint8(len(acts))}
	copy(r.act[:], acts)
}

// addAll defines the same row for several states; next==keep keeps each.
func (t *table) addAll(ss []uint8, e, next uint8, acts ...uint8) {
	for _, s := range ss {
		t.add(s, e, next, acts...)
	}
}

// lookup returns the row for (s, e), or nil if the pair is not listed.
func (t *table) lookup(s, e uint8) *row {
	r := &t.flat[int(s)*t.nev+int(e)]
	if !r.set {
		return nil
	}
	return r
}

// ran counts a run of row (s, e) when coverage is on.
func (t *table) ran(s, e uint8) {
	if countRows {
		t.hits[int(s)*t.nev+int(e)]++
	}
}

// String prints every listed row, one per line, in state then event order:
// the golden form of the table.
func (t *table) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s\n", t.name)
	for s := range t.rows {
		for e := range t.rows[s] {
			r := &t.rows[s][e]
			if !r.set {
				continue
			}
			line := fmt.Sprintf("  %-5s %-9s -> %-5s", t.states[s], t.events[e], t.states[r.next])
			for _, a := range r.acts() {
				line += " " + t.actions[a]
			}
			b.WriteString(strings.TrimRight(line, " "))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// unexercised lists the rows that never ran, as "table: state event".
func (t *table) unexercised() []string {
	var out []string
	for s := range t.rows {
		for e := range t.rows[s] {
			if r := &t.rows[s][e]; r.set && t.hits[s*t.nev+e] == 0 {
				out = append(out, fmt.Sprintf("%s: %s %s", t.name, t.states[s], t.events[e]))
			}
		}
	}
	return out
}

// addHits adds u's row counters into t (same shape).
func (t *table) addHits(u *table) {
	for i := range t.hits {
		t.hits[i] += u.hits[i]
	}
}
