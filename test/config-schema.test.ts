import * as assert from "assert";
import { boolean, cidr, closest, enumOf, INVALID, integer, list, number, object, optional, string, type Field, type ParseContext } from "../config/schema";

function parse<T>(field: Field<T>, value: unknown): { result: T | typeof INVALID; problems: string[] } {
    const ctx: ParseContext = { path: "matrix:x", problems: [], secret: false };
    return { result: field.parse(value, ctx), problems: ctx.problems };
}

describe("config schema DSL", () => {
    it("integers accept numbers and numeric strings, nothing else", () => {
        const f = integer({ description: "d", min: 2, max: 5 });
        assert.strictEqual(parse(f, "3").result, 3);
        assert.strictEqual(parse(f, 5).result, 5);
        for (const bad of ["3.0", 2.5, "", true, null, "0x3", 6, 1]) assert.strictEqual(parse(f, bad).result, INVALID, String(bad));
    });

    it("numbers, booleans, strings and enums", () => {
        assert.strictEqual(parse(number({ description: "d", min: 0 }), "0.5").result, 0.5);
        assert.strictEqual(parse(number({ description: "d", min: 0 }), -1).result, INVALID);
        assert.strictEqual(parse(boolean({ description: "d" }), "false").result, false);
        assert.strictEqual(parse(boolean({ description: "d" }), 0).result, INVALID);
        assert.strictEqual(parse(string({ description: "d", pattern: /^a/, patternText: "starts with a" }), "b").problems[0], 'matrix:x: does not match (got "b"); allowed: starts with a');
        const e = parse(enumOf(["existing", "aws"], { description: "d" }), "existnig");
        assert.strictEqual(e.result, INVALID);
        assert.match(e.problems[0], /did you mean "existing"\?/);
    });

    it("lists report each bad item by index", () => {
        const f = list(cidr({ description: "d" }), { description: "d", minItems: 1 });
        assert.deepStrictEqual(parse(f, ["192.0.2.0/24", "::/0"]).result, ["192.0.2.0/24", "::/0"]);
        const bad = parse(f, ["192.0.2.0/24", "192.0.2.0/33", "01.2.3.0/24"]);
        assert.deepStrictEqual(bad.problems.map((p) => p.split(":")[1]), ["x[1]", "x[2]"]);
        assert.match(parse(f, []).problems[0], /fewer than 1 items/);
        assert.match(parse(f, "192.0.2.0/24").problems[0], /not a list/);
    });

    it("objects default missing children, require required ones and reject unknown ones", () => {
        const f = object({ a: integer({ description: "d", default: 1 }), b: string({ description: "d" }), c: optional(boolean({ description: "d" })) }, { description: "d" });
        assert.deepStrictEqual(parse(f, { b: "x" }).result, { a: 1, b: "x" });
        const r = parse(f, { a: 2, bb: "x" });
        assert.strictEqual(r.result, INVALID);
        assert.deepStrictEqual(r.problems.map((p) => p.split(": ")[0]), ["matrix:x.bb", "matrix:x.b"]);
        assert.match(r.problems[0], /did you mean matrix:x.b\?/);
    });

    it("suggests only plausible typos", () => {
        assert.strictEqual(closest("federaton", ["federation", "domain"]), "federation");
        assert.strictEqual(closest("CCU", ["ccu", "domain"]), "ccu");
        assert.strictEqual(closest("somethingelse", ["ccu", "domain"]), undefined);
    });
});
