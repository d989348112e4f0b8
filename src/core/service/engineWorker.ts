// Entry point of an engine worker thread (one per workspace folder): the extension host talks to
// it with the messages of src/shared/engineProtocol.ts.
import { parentPort } from 'node:worker_threads';
import type { RequestMessage, ResponseMessage, WorkerMessage } from '../../shared/engineProtocol';
import { EngineService } from './engineService';

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');

const service = new EngineService((event) => port.postMessage(event satisfies WorkerMessage));

// Requests run one at a time, in arrival order: the store has one writer.
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: RequestMessage) => {
  queue = queue.then(async () => {
    const reply: ResponseMessage = { kind: 'response', id: msg.id };
    try {
      const handler = service.handlers[msg.method] as (p: unknown) => Promise<unknown>;
      reply.result = await handler(msg.params);
    } catch (err) {
      reply.error = (err as Error).message;
    }
    port.postMessage(reply satisfies WorkerMessage);
  });
});
