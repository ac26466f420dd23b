/** The local pool's worker process (engine/run/worker.ts) over the store whose root the pool passes as its argument. */
import { Store } from '../store/store.ts';
import { serveTasks } from './worker.ts';

serveTasks(new Store(process.argv[2]!));
