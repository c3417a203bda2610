//! Presentation shared by the command line and the console: SVG charts and CSV tables. Nothing
//! here touches a balance; it only draws and lays out answers the read model already gave.

pub mod chart;
pub mod fund;
pub mod table;
pub mod words;
