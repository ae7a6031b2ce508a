//go:build !cgo

package main

// The monitor is C (ctor.c): berth-shim cannot be built without cgo. Build
// it with CGO_ENABLED=1 (the default) and gcc + libc6-dev installed.
var _ = berthShimNeedsCgoAndGcc_SetCGO_ENABLED1
