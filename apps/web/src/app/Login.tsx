import type { Problem } from "@netloom/model";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { failureOf } from "../errors";
import { useTRPC } from "../trpc";
import { Field, ProblemList, problemAt } from "../ui/Field";
import { BrandMark } from "./BrandMark";

/** Password login; the controller answers with an HTTP-only session cookie. */
export function Login() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
      },
      onError: (error) => {
        const failure = failureOf(error);
        setProblems(
          failure.problems.length > 0
            ? [...failure.problems]
            : [
                {
                  path: "",
                  message:
                    failure.code === "UNAUTHENTICATED"
                      ? "Wrong email or password."
                      : failure.message,
                },
              ],
        );
      },
    }),
  );
  return (
    <main className="login-page">
      <form
        className="login-card"
        aria-label="Log in"
        onSubmit={(event) => {
          event.preventDefault();
          setProblems([]);
          login.mutate({ email, password });
        }}
      >
        <div className="brand big">
          <BrandMark size={28} />
          netloom
        </div>
        <p className="muted">Network virtualization portal</p>
        <Field label="Email" problem={problemAt(problems, "email")}>
          {(props) => (
            <input
              {...props}
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
        </Field>
        <Field label="Password" problem={problemAt(problems, "password")}>
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        <ProblemList
          problems={problems.filter((p) => p.path !== "email" && p.path !== "password")}
        />
        <button type="submit" className="primary" disabled={login.isPending}>
          {login.isPending ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
