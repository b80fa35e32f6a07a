// The transparency page's charts: Apache ECharts built from only the parts the page draws (a line
// chart, a Sankey, a graph; tooltips, legend, mark line; the SVG renderer). The page (app.js)
// imports this bundle only when a chart comes near the screen, so its text never waits for it.
import { getInstanceByDom, init, use } from "echarts/core";
import { GraphChart, LineChart, SankeyChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

import { layoutNetwork } from "./layout";

use([LineChart, SankeyChart, GraphChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

/** What the page uses of ECharts, also on `window.echarts` for the browser tests. */
export const echarts = { init, getInstanceByDom };
(window as unknown as { echarts: typeof echarts }).echarts = echarts;

export { getInstanceByDom, init, layoutNetwork };
