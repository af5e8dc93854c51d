export default function Home() {
  return <p>Loom</p>;
}
