module mksim

go 1.26.8
