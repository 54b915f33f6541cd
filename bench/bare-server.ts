import Fastify from 'fastify';

/**
 * The baseline: Fastify with its default JSON parser and one route that answers like the service
 * does, with no validation, database or logging. The service's req/s divided by this one's is the
 * cost of everything the service does on top of HTTP and JSON.
 */
const app = Fastify();

app.post('/telegram/update', async () => ({ text: 'ok' }));
// The benchmark polls this until the server accepts connections.
app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });

const close = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);
