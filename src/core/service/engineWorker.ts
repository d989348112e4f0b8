// Entry point of an engine worker thread (one per workspace folder): the extension host talks to
// it with the messages of src/shared/engineProtocol.ts.
import { parentPort } from 'node:worker_threads';
import type { CancelMessage, RequestMessage, ResponseMessage, WorkerMessage } from '../../shared/engineProtocol';
import { EngineService, errorDataOf } from './engineService';

const port = parentPort;
if (!port) throw new Error('engineWorker must run in a worker thread');

const service = new EngineService((event) => port.postMessage(event satisfies WorkerMessage));

// Requests run one at a time, in arrival order: the store has one writer. A cancel does not wait
// in that queue (it would come after the request it cancels).
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: RequestMessage | CancelMessage) => {
  if (msg.kind === 'cancel') {
    service.cancel(msg.id);
    return;
  }
  queue = queue.then(async () => {
    const reply: ResponseMessage = { kind: 'response', id: msg.id };
    try {
      reply.result = await service.run(msg.id, msg.method, msg.params);
    } catch (err) {
      reply.error = (err as Error).message;
      const data = errorDataOf(err);
      if (data) reply.errorData = data;
    }
    port.postMessage(reply satisfies WorkerMessage);
  });
});
