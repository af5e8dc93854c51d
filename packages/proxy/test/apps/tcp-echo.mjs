// A TCP echo server: every byte received is sent back.
import net from "node:net";

const server = net.createServer((socket) => {
  socket.on("error", () => socket.destroy());
  socket.pipe(socket);
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`tcp-echo listening on ${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
