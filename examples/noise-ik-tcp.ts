// Two agents run Noise IK over TCP on 127.0.0.1, framing each Noise message with a 16-bit
// big-endian length. The client knows the server's static public key in advance (the "K" of IK);
// the server learns and authenticates the client's static key during the handshake.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createNoiseChannel, FramedStream, getProvider, handshakeOver, toHex } from '../reference/index.js';

const PROTOCOL = 'Noise_IK_25519_ChaChaPoly_SHA256';
const prologue = new TextEncoder().encode('agentsec example v1'); // both sides must agree

export async function runIkOverTcp() {
  const x25519 = getProvider('noble').x25519;
  const serverKeys = x25519.generateKeyPair();
  const clientKeys = x25519.generateKeyPair();

  // Server (responder): one request, one reply per connection.
  let serverView: Promise<{ clientKey: string; handshakeHash: string }> | undefined;
  const server = createServer((socket: Socket) => {
    serverView = (async () => {
      const framed = new FramedStream(socket);
      const noise = createNoiseChannel({ protocol: PROTOCOL, initiator: false, prologue, staticPrivateKey: serverKeys.privateKey });
      await handshakeOver(noise, framed);
      const request = new TextDecoder().decode(noise.readMessage(await framed.receive()));
      framed.send(noise.writeMessage(new TextEncoder().encode(`hello, ${request}`)));
      framed.end();
      return { clientKey: toHex(noise.remoteStaticKey()!), handshakeHash: toHex(noise.handshakeHash()) };
    })();
    serverView.catch(() => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  // Client (initiator).
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const framed = new FramedStream(socket);
  const noise = createNoiseChannel({
    protocol: PROTOCOL,
    initiator: true,
    prologue,
    staticPrivateKey: clientKeys.privateKey,
    remoteStaticKey: serverKeys.publicKey,
  });
  await handshakeOver(noise, framed);
  framed.send(noise.writeMessage(new TextEncoder().encode('agent B')));
  const reply = new TextDecoder().decode(noise.readMessage(await framed.receive()));
  socket.end();
  server.close();

  const seen = await serverView!;
  return {
    reply, // "hello, agent B"
    handshakeHash: toHex(noise.handshakeHash()), // equal on both sides: a channel-binding value
    serverHandshakeHash: seen.handshakeHash,
    serverSawClientKey: seen.clientKey === toHex(clientKeys.publicKey),
  };
}

if (process.argv[1]?.endsWith('noise-ik-tcp.ts')) console.log(await runIkOverTcp());
