/**
 * One instance of a class kept for the life of the process, so that V8 keeps its hidden class.
 * V8 collects a hidden class with its last instance and then deoptimizes every function whose
 * optimized code checked for it. Between two imports in one process (a REPL session, a service)
 * every object of the first is garbage, and a full collection in between (an idle REPL gets one)
 * would make the second import start by throwing away and recompiling the code it runs most: its
 * byte writer, key table, parser, tally, the client's call context. The classes that do this keep
 * one small instance each, made where the class is defined.
 */
const held: Array<object> = []

/** Keeps `instance` (a small one: it is never released) and with it its class's hidden class. */
export const keepHiddenClass = (instance: object): void => {
  held.push(instance)
}
