// What the binary takes from undici: its `Agent`, without the rest of the package (fetch, caches,
// mocks, WebSocket), which would double the JavaScript every command parses at start-up.
export { default as Agent } from "undici/lib/dispatcher/agent.js"
