/** kubernetes:label — labels (or unlabels) the event's pod or its node. */
import { defineActionner } from "../../../plugins/define.js";
import { metadataActionner } from "../metadata.js";

export default defineActionner(metadataActionner("labels"));
