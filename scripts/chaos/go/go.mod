module github.com/kissmon/kissmon/scripts/chaos/go

go 1.24

require github.com/kissmon/kissmon/bindings/go v0.0.0

require (
	github.com/DataDog/datadog-go/v5 v5.9.1 // indirect
	github.com/Microsoft/go-winio v0.5.0 // indirect
	golang.org/x/sys v0.0.0-20210510120138-977fb7262007 // indirect
)

replace github.com/kissmon/kissmon/bindings/go => ../../../bindings/go
