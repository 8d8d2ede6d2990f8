module discourse-cdk8s.test/cluster/pebble-v1.1.1

go 1.26

tool github.com/canonical/pebble/cmd/pebble

require (
	github.com/canonical/pebble v1.1.1 // indirect
	github.com/canonical/x-go v0.0.0-20230113154138-0ccdb0b57a43 // indirect
	github.com/gorilla/mux v1.8.0 // indirect
	github.com/gorilla/websocket v1.4.2 // indirect
	github.com/jessevdk/go-flags v1.4.0 // indirect
	github.com/pkg/term v1.1.0 // indirect
	golang.org/x/crypto v0.0.0-20201221181555-eec23a3978ad // indirect
	golang.org/x/net v0.0.0-20190404232315-eb5bcb51f2a3 // indirect
	golang.org/x/sys v0.0.0-20210119212857-b64e53b001e4 // indirect
	golang.org/x/term v0.0.0-20201117132131-f5c789dd3221 // indirect
	gopkg.in/tomb.v2 v2.0.0-20161208151619-d5d1b5820637 // indirect
	gopkg.in/yaml.v2 v2.3.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
