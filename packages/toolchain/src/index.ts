// Command-line analysis (is it distributable, what it reads and writes, the rewrites for cpp and server).
export * from "./args/index.js";
// Compilers: identity probe and cache, triples, discovery, the whitelist index, resolution.
export * from "./compilers/index.js";
