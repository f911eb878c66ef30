// Every stack config section, in the order they appear in the docs. A concern
// adds `config/sections/<name>.ts` exporting `{ <key>: <field> }` (one
// top-level `matrix:<key>` per concern, built with the DSL in ../schema.ts)
// and one entry here; StackConfig's type, validation and the README table
// follow from it. Two sections defining the same key fail at load.
import { calls } from "./calls";
import { antivirus } from "./antivirus";
import { backup } from "./backup";
import { cluster } from "./cluster";
import { controllers } from "./controllers";
import { core } from "./core";
import { data } from "./data";
import { images } from "./images";
import { li } from "./li";
import { monitoring } from "./monitoring";
import { sizing } from "./sizing";
import { synapse } from "./synapse";

export const SECTIONS = [core, sizing, cluster, controllers, data, synapse, calls, li, monitoring, backup, antivirus, images] as const;
