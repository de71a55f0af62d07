module github.com/kissmon/kissmon/bindings/go

go 1.24
