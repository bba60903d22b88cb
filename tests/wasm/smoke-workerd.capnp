# workerd config for the WASM smoke test; the socket address is set with --socket-addr.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .smokeWorker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const smokeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "smoke-worker.mjs"),
    (name = "reroute.mjs", esModule = embed "../../build/wasm/pkg/reroute.mjs"),
    (name = "routing.mjs", esModule = embed "../../build/wasm/pkg/routing.mjs"),
    (name = "reroute_core.mjs", esModule = embed "../../build/wasm/pkg/reroute_core.mjs"),
    (name = "reroute_core.wasm", wasm = embed "../../build/wasm/pkg/reroute_core.wasm"),
  ],
  compatibilityDate = "2024-09-01",
);
