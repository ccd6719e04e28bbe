// Node 20 lacks Promise.withResolvers (Node 22 has it), which PostGraphile 5 uses.
Promise.withResolvers ??= () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej; }); return { promise, resolve, reject }; };
