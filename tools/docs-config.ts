// `npm run docs:config`: rewrites the config reference in README.md from the schema.
import * as fs from "fs";
import * as path from "path";
import { withConfigReference } from "../config/docs";

const readme = path.resolve(__dirname, "..", "README.md");
const before = fs.readFileSync(readme, "utf8");
const after = withConfigReference(before);
fs.writeFileSync(readme, after);
console.log(before === after ? "README.md config reference already up to date" : "README.md config reference updated");
