/** Short bursts of client connections through the load balancer, for the integration tests. */
import type { ClientDriver } from './client-driver.js'

/** Opens `count` connections one after another to host:port and returns the back end that greeted each (`be2`). */
export async function backendsGreeting (client: ClientDriver, host: string, count: number, options: { port?: number, timeoutMs?: number } = {}): Promise<string[]> {
  const seen: string[] = []
  for (let i = 0; i < count; i++) {
    const connection = await client.connect({ host, port: options.port ?? 80, timeoutMs: options.timeoutMs ?? 5000 })
    seen.push(String(connection.greeting).split(' ')[0] ?? '')
    await client.close(connection.conn)
  }
  return seen
}
