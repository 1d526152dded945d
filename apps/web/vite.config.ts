import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const controller = `http://127.0.0.1:${process.env.NETLOOM_PORT ?? "7070"}`;

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/trpc": { target: controller, changeOrigin: true },
      "/api": { target: controller, changeOrigin: true },
    },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
});
