// Package storetest is the suite every store.Store implementation must
// pass: sqlite, postgres and memstore each call Run from a test.
//
// The suite is the executable form of the conventions documented on
// store.Store (timestamps, defaults, ordering, org scoping, errors), so that
// code written against one implementation behaves the same on the others.
package storetest
