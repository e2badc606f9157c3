// Package experiments holds one file per paper table or figure and per
// workload of our own, the registry that names them for `mksim reproduce`,
// and the writers for their results: long-format CSV with the header
// experiment,machine,series,x,value,sd,unit,paper and a .meta.json beside it.
//
// Paper numbers live here only as references to compare against (the paper
// column); nothing computed by an experiment ever reads them. The 8×4-core
// AMD OS-level rows are held out and have no paper number.
//
// Driven by: cmd/mksim. Imports: everything but cmd.
package experiments
